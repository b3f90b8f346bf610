"""``remotem init`` (a push of a whole folder) and ``remotem clone`` through a real server on
loopback, against curl moving the same files on the same link (rsync, the other baseline the
issue names, is not installed here; curl is the transport bound either way).

The folder holds a few large files and many small ones, so both the streaming rate and the
cost per file show.  Upload baseline: per file one tus ``POST`` (urllib) and one ``curl -T``
``PATCH`` of the whole file; download baseline: one curl for all files (``-o`` per URL, one
connection).  Contenders run in interleaved rounds; each figure is the best round.

    python benchmarks/workdir_transfers.py [--large 8] [--large-mib 64] [--small 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _server import jupyter_server  # noqa: E402
from transfers import _curl, _interleaved, _tus_create, machine, ratios  # noqa: E402

REMOTEM = Path(sys.executable).parent / "remotem"


def make_folder(root: Path, large: int, large_mib: int, small: int) -> int:
    (root / "small").mkdir(parents=True)
    for index in range(large):
        with open(root / f"frames-{index:03d}.bin", "wb") as out:
            for _ in range(large_mib):
                out.write(os.urandom(1024**2))
    for index in range(small):
        (root / "small" / f"part-{index:04d}.txt").write_bytes(os.urandom(64 * 1024))
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=8, help="large files")
    parser.add_argument("--large-mib", type=int, default=64, help="size of each large file")
    parser.add_argument("--small", type=int, default=200, help="64 KiB files")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl is needed for the baselines")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="remotem-workdir-") as scratch:
        scratch_dir = Path(scratch)
        served, local = scratch_dir / "bench", scratch_dir / "laptop"
        served.mkdir()
        total = make_folder(local, args.large, args.large_mib, args.small)
        names = sorted(path.relative_to(local).as_posix() for path in local.rglob("*") if path.is_file())
        repositories = [{"name": "bench", "url": str(served), "writable": True}]
        # A job store of its own: datasets registered by an earlier run must not be in the way.
        with jupyter_server(served, repositories=repositories, quotas={}, warm_up_kernels=False,
                            job_database_url=f"sqlite:///{scratch_dir / 'jobs.sqlite'}") as (base, token):
            env = {**os.environ, "REMOTEM_URL": base, "REMOTEM_TOKEN": token,
                   "XDG_CONFIG_HOME": str(scratch_dir / "config")}
            counter = iter(range(100_000))
            pushed: list[tuple[str, str]] = []  # (dataset id, its folder)

            def remotem(*arguments: str) -> str:
                done = subprocess.run([str(REMOTEM), *arguments], env=env, capture_output=True, text=True)
                if done.returncode:
                    sys.exit(f"remotem {arguments[0]} failed: {done.stderr.strip()}")
                return done.stdout

            def remotem_push() -> None:
                shutil.rmtree(local / ".remotem", ignore_errors=True)
                target = f"remotem-{next(counter)}"
                pushed.append((remotem("init", str(local), "--repository", "bench", "--path", target).split()[0],
                               target))

            def curl_push() -> None:
                target = f"curl-{next(counter)}"
                for name in names:
                    location = _tus_create(base, token, (local / name).stat().st_size, f"{target}/{name}")
                    _curl("-H", f"Authorization: token {token}", "-X", "PATCH", "-H", "Tus-Resumable: 1.0.0",
                          "-H", "Upload-Offset: 0", "-H", "Content-Type: application/offset+octet-stream",
                          "-T", str(local / name), location)

            times = _interleaved([("push: curl, a tus PATCH per file (baseline)", curl_push),
                                 ("push: remotem init", remotem_push)], args.repeat)
            source_id, source = pushed[0]

            def remotem_clone() -> None:
                target = scratch_dir / f"clone-{next(counter)}"
                remotem("clone", source_id, str(target))
                shutil.rmtree(target)

            def curl_clone() -> None:
                target = scratch_dir / f"curl-clone-{next(counter)}"
                arguments = ["-H", f"Authorization: token {token}", "--create-dirs"]
                for name in names:
                    arguments += ["-o", str(target / name),
                                  f"{base}remotem/api/repositories/bench/download/{source}/{name}"]
                _curl(*arguments)
                shutil.rmtree(target)

            times.update(_interleaved([("clone: curl, one connection for all files (baseline)", curl_clone),
                                      ("clone: remotem clone", remotem_clone)], args.repeat))
    load_after = os.getloadavg()
    print(machine())
    print(f"{len(names)} files ({args.large} × {args.large_mib} MiB, {args.small} × 64 KiB), "
          f"{total / 1024**3:.2f} GiB; best of {args.repeat} interleaved rounds; load average before "
          f"{load_before[0]:.2f}, after {load_after[0]:.2f} on {os.cpu_count()} cores")
    baselines = {kind: next(name for name in times if name.startswith(kind) and "baseline" in name)
                 for kind in ("push", "clone")}
    for name, seconds in times.items():
        kind = name.split(":")[0]
        print(f"{name:<56} {total / min(seconds) / 1e6:8.1f} MB/s  {ratios(times, name, baselines[kind])}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f} s)")
