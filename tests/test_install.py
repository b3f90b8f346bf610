"""After installation, Jupyter itself reports both extensions enabled and loadable."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from _services import skip_or_fail

BIN = Path(sys.executable).parent


def _run(*args: str) -> str:
    result = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, timeout=120)
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # drop terminal colours


def test_server_extension_is_enabled_and_ok():
    output = _run("jupyter-server", "extension", "list")
    assert re.search(r"jupyter_remotem\s+enabled", output), output
    assert re.search(r"jupyter_remotem \S+ OK", output), output


def test_lab_extension_is_installed_and_ok():
    if not (Path(__file__).parents[1] / "jupyter_remotem" / "labextension" / "package.json").exists():
        skip_or_fail("the lab extension is not built (run `make setup`)")
    output = _run("jupyter-labextension", "list")
    assert re.search(r"jupyter-remotem v\S+ enabled\s+OK", output), output
