"""Running LiberTEM's own UDFs (:mod:`_libertem_udfs`) from a benchmark, in LiberTEM's environment:
an interpreter given with ``--libertem-python`` (or ``$LIBERTEM_PYTHON``), this one if it has
``libertem``; without either the LiberTEM column is left out and the script says so."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--libertem-python", default=os.environ.get("LIBERTEM_PYTHON"),
                        help="an interpreter with libertem (and libertem_blobfinder) installed")


def arguments(doc: str, size: str, default: int) -> tuple[argparse.Namespace, str | None]:
    """The options of a benchmark against LiberTEM: its size (``--mib``, ``--frames``), ``--repeat``
    and ``--libertem-python``; with the interpreter that has LiberTEM, if any."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(f"--{size}", type=int, default=default)
    parser.add_argument("--repeat", type=int, default=3)
    add_argument(parser)
    args = parser.parse_args()
    return args, interpreter(args.libertem_python)


def random_stack(rng: np.random.Generator, mib: int, sig: tuple[int, int], dtype: type) -> np.ndarray:
    """A square scan of about ``mib`` MiB of random frames (values up to 1000) in ``dtype``."""
    side = int(np.sqrt(mib * 1024**2 // (sig[0] * sig[1] * np.dtype(dtype).itemsize)))
    return (rng.random((side, side) + sig, dtype=np.float32) * 1000).astype(dtype)


def interpreter(given: str | None) -> str | None:
    if given:
        return given
    try:
        import libertem  # noqa: F401
    except ImportError:
        print("LiberTEM: not installed here (pass --libertem-python)")
        return None
    return sys.executable


def seconds(python: str | None, operation: str, data: np.ndarray, params: dict, repeat: int) -> float | None:
    """LiberTEM's best seconds for ``operation`` on ``data`` (the faster of its inline and
    threads executors), None without LiberTEM."""
    if python is None:
        return None
    with tempfile.TemporaryDirectory(prefix="remotem-libertem-") as folder:
        path = Path(folder) / "data.npy"
        np.save(path, data)
        done = subprocess.run([python, str(Path(__file__).with_name("_libertem_udfs.py")), operation, str(path),
                               str(repeat), json.dumps(params)], capture_output=True, text=True, check=True)
    return min(json.loads(done.stdout.strip().splitlines()[-1]).values())


def column(theirs: float | None, ours: float, amount: float, digits: int = 2) -> str:
    """The LiberTEM figures of a result line (``amount`` of work per second, and ours against
    it), or nothing without LiberTEM."""
    if theirs is None:
        return ""
    return f"  LiberTEM {amount / theirs:8.{digits}f}  ours / LiberTEM {theirs / ours:4.2f}x"
