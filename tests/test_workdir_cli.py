"""The ``remotem`` command in a subprocess against a real Jupyter server, as on a laptop:
login (the token kept for its owner only), init a folder as a dataset, clone it elsewhere,
edit, status, push, pull, close — and every refusal a clear line with exit status 1."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from _api import call
from _owned import jp_server_config, stop_worker  # noqa: F401 - fixtures

REMOTEM = Path(sys.executable).parent / "remotem"


@pytest.fixture
def lab_dir(tmp_path):
    (tmp_path / "lab").mkdir()
    return tmp_path / "lab"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".remotem" not in p.relative_to(root).parts}


async def test_a_working_directory_round_trip(jp_fetch, jp_http_port, jp_base_url, lab_dir, tmp_path):
    assert REMOTEM.exists(), "the package installs the remotem command"
    code, token = await call(jp_fetch, "POST", "tokens", body={"name": "laptop"})
    assert code == 201
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("REMOTEM_URL", None), env.pop("REMOTEM_TOKEN", None)

    async def remotem(*args: str, cwd: Path = tmp_path, ok: bool = True) -> subprocess.CompletedProcess:
        done = await asyncio.to_thread(subprocess.run, [str(REMOTEM), *args], cwd=cwd, env=env,
                                       capture_output=True, text=True, timeout=120)
        assert (done.returncode == 0) == ok, (args, done.returncode, done.stdout, done.stderr)
        return done

    refused = await remotem("ls", ok=False)
    assert "Not logged in" in refused.stderr and "remotem login" in refused.stderr
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    await remotem("login", url, "--token", token["token"])
    token_file = tmp_path / "config" / "remotem" / "token"
    assert token_file.read_text() == token["token"]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token["token"] not in (tmp_path / "config" / "remotem" / "config.json").read_text()

    laptop = tmp_path / "laptop"
    (laptop / "sub").mkdir(parents=True)
    (laptop / "notes.txt").write_text("300 kV\n")
    (laptop / "sub" / "frames.bin").write_bytes(os.urandom(300_000))
    (laptop / ".settings").write_text("hidden, still data\n")
    made = await remotem("init", str(laptop), "--repository", "lab", "--path", "work/run-1", "--name", "Run 1")
    dataset_id = made.stdout.split()[0]
    assert tree(lab_dir / "work" / "run-1") == tree(laptop)
    code, shown = await call(jp_fetch, "GET", "datasets", dataset_id)
    assert (shown["name"], shown["path"], shown["owner"], shown["type"]) == ("Run 1", "work/run-1", "ada", "folder")
    assert dataset_id in (await remotem("ls")).stdout

    copy = tmp_path / "copy"
    await remotem("clone", dataset_id, str(copy))
    assert tree(copy) == tree(laptop)
    assert "nothing to push or pull" in (await remotem("status", cwd=copy)).stdout

    (copy / "notes.txt").write_text("300 kV, tilt 5\n")
    (copy / "new.txt").write_text("added on the copy\n")
    (copy / "sub" / "frames.bin").unlink()
    (copy / ".settings").touch()  # a newer mtime, the same bytes: not a change
    status = (await remotem("status", cwd=copy)).stdout
    assert "added: new.txt" in status and "modified: notes.txt" in status and "deleted: sub/frames.bin" in status
    assert ".settings" not in status
    await remotem("push", cwd=copy)
    assert tree(lab_dir / "work" / "run-1") == tree(copy)
    assert "nothing to push or pull" in (await remotem("status", cwd=copy)).stdout

    behind = (await remotem("status", cwd=laptop)).stdout
    assert "modified on the server: notes.txt" in behind and "added on the server: new.txt" in behind
    await remotem("pull", cwd=laptop)
    assert tree(laptop) == tree(copy)

    closed = await remotem("close", cwd=copy)
    assert "closed: 3 files" in closed.stdout
    (copy / "notes.txt").write_text("too late\n")
    refused = await remotem("push", cwd=copy, ok=False)
    assert "is closed" in refused.stderr and refused.stderr.count("\n") == 1
    assert (lab_dir / "work" / "run-1" / "notes.txt").read_text() == "300 kV, tilt 5\n"
    refused = await remotem("status", cwd=tmp_path, ok=False)
    assert "not a remotem working directory" in refused.stderr
    assert "unregistered 'Run 1'" in (await remotem("rm", dataset_id)).stdout
    assert dataset_id not in (await remotem("ls")).stdout
    assert (lab_dir / "work" / "run-1" / "notes.txt").exists(), "its files stay"
    refused = await remotem("rm", dataset_id, ok=False)
    assert "no dataset" in refused.stderr


async def test_derive_runs_a_command_and_pushes_its_outputs_with_a_run_record(jp_fetch, jp_http_port, jp_base_url,
                                                                           lab_dir, tmp_path):
    code, token = await call(jp_fetch, "POST", "tokens", body={"name": "laptop"})
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "REMOTEM_URL": f"http://127.0.0.1:{jp_http_port}{jp_base_url}", "REMOTEM_TOKEN": token["token"]}

    async def remotem(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = await asyncio.to_thread(subprocess.run, [str(REMOTEM), *args], cwd=tmp_path, env=env,
                                       capture_output=True, text=True, timeout=120)
        assert (done.returncode == 0) == ok, (args, done.returncode, done.stdout, done.stderr)
        return done

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "counts.txt").write_text("3 5 7\n")
    made = await remotem("init", str(raw), "--repository", "lab", "--path", "raw", "--name", "Raw")
    raw_id = made.stdout.split()[0]
    script = "import pathlib; n = sum(map(int, open('raw/counts.txt').read().split())); " \
             "pathlib.Path('out').mkdir(); pathlib.Path('out/total.txt').write_text(str(n))"
    derive = ("derive", "--from", raw_id, "--repository", "lab", "--path", "fit", "--outputs", "out", "--",
              sys.executable, "-c", script)
    refused = await remotem(*derive, ok=False)
    assert "is open" in refused.stderr and not (tmp_path / "out").exists(), "nothing runs on an open dataset"
    await remotem("close", str(raw))
    derived_id = (await remotem(*derive)).stdout.split()[0]
    assert (lab_dir / "fit" / "total.txt").read_text() == "15"
    code, derived = await call(jp_fetch, "GET", "datasets", derived_id)
    assert derived["parents"] == [raw_id] and derived["owner"] == "ada"
    record = derived["run"]
    assert record["command"][-1] == script and record["exit_status"] == 0 and record["who"] == "ada"
    code, manifest = await call(jp_fetch, "GET", "datasets", raw_id, "manifest")
    lines = "".join(f"{f['path']}\t{f['size']}\t{f['sha256']}\n" for f in manifest["files"])
    assert record["inputs"][0]["manifest_sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    assert record["outputs"] == [{"path": "total.txt", "size": 2, "sha256": hashlib.sha256(b"15").hexdigest()}]
    failing = ("derive", "--from", raw_id, "--repository", "lab", "--path", "fit2", "--outputs", "out2", "--",
               sys.executable, "-c", "raise SystemExit(3)")
    refused = await remotem(*failing, ok=False)
    assert "exit status 3" in refused.stderr and not (lab_dir / "fit2").exists()


async def test_status_sees_a_same_size_edit_on_the_server_and_moves_many_files(jp_fetch, jp_http_port, jp_base_url,
                                                                              lab_dir, tmp_path):
    """The server's copy is compared by size and mtime, then by content: a same-size edit there
    is reported (and pulled), a file only touched there is not, and its new mtime is
    remembered.  Many small files and an empty one make the round trip (they move several at
    a time)."""
    code, token = await call(jp_fetch, "POST", "tokens", body={"name": "laptop"})
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "REMOTEM_URL": f"http://127.0.0.1:{jp_http_port}{jp_base_url}", "REMOTEM_TOKEN": token["token"]}

    async def remotem(*args: str, cwd: Path = tmp_path) -> str:
        done = await asyncio.to_thread(subprocess.run, [str(REMOTEM), *args], cwd=cwd, env=env,
                                       capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.returncode, done.stdout, done.stderr)
        return done.stdout

    laptop = tmp_path / "laptop"
    (laptop / "parts").mkdir(parents=True)
    for index in range(40):
        (laptop / "parts" / f"p{index:02d}.bin").write_bytes(os.urandom(1000 + index))
    (laptop / "empty.txt").write_bytes(b"")
    (laptop / "fit.txt").write_text("a = 1.25\n")
    (laptop / "touched.txt").write_text("unchanged\n")
    dataset_id = (await remotem("init", str(laptop), "--repository", "lab", "--path", "sizes")).split()[0]
    served = lab_dir / "sizes"
    assert tree(served) == tree(laptop)
    code, listed = await call(jp_fetch, "GET", "datasets", dataset_id, "files")
    mtimes = {file["path"]: file["mtime"] for file in listed["files"]}
    assert mtimes["fit.txt"] == (served / "fit.txt").stat().st_mtime
    recorded = json.loads((laptop / ".remotem" / "state.json").read_text())["files"]
    assert recorded["fit.txt"]["remote_mtime"] == mtimes["fit.txt"], "the upload's answer said the mtime"
    assert len(recorded) == 43 and recorded["empty.txt"]["size"] == 0
    assert "nothing to push or pull" in await remotem("status", cwd=laptop)

    copy = tmp_path / "copy"
    await remotem("clone", dataset_id, str(copy))
    assert tree(copy) == tree(laptop)
    assert "nothing to push or pull" in await remotem("status", cwd=copy)

    later = (served / "fit.txt").stat().st_mtime + 5
    (served / "fit.txt").write_text("a = 1.31\n")  # the same size, other bytes
    os.utime(served / "fit.txt", (later, later))
    os.utime(served / "touched.txt", (later, later))  # a newer mtime, the same bytes
    status = await remotem("status", cwd=laptop)
    assert "modified on the server: fit.txt" in status, status
    assert "touched.txt" not in status
    recorded = json.loads((laptop / ".remotem" / "state.json").read_text())["files"]
    assert recorded["touched.txt"]["remote_mtime"] == later, "read once; its new mtime is remembered"
    assert "pulled 1 files" in await remotem("pull", cwd=laptop)
    assert (laptop / "fit.txt").read_text() == "a = 1.31\n"
    assert "nothing to push or pull" in await remotem("status", cwd=laptop)
    assert "modified on the server: fit.txt" in await remotem("status", cwd=copy)
