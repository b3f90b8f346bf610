"""The ``remotem`` command (see :mod:`jupyter_remotem.workdir`).

Every refusal is one line on stderr with what to do, and exit status 1; a server refusal
prints the server's own message and hint.
"""

from __future__ import annotations

import argparse
import posixpath
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from . import settings
from .state import STATE, State, changes, local_files

#: Files smaller than this move several at a time (their cost is the requests' round trips,
#: not the bytes); larger ones one after another, each at the link's full speed.
SMALL_FILE_BYTES = 8 * 1024**2
#: Small files moving at once.
PARALLEL_FILES = 4
#: A clone takes its small files in one zip when there are at least this many.
ZIP_AT_LEAST = 8
#: The state is saved at most this often while files move (and always at the end): saving
#: after each of many small files would rewrite the record once per file.
SAVE_EVERY_S = 1.0


def _client(login: settings.Login | None = None) -> Any:
    from ..client import connect

    login = login or settings.load()
    return connect(login.url, login.token)


def _remote_path(state: State, relative: str) -> str:
    return state.path if state.single else posixpath.join(state.path, relative)


def _listing(c: Any, state: State, listed: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The dataset's files now (each one's size and mtime), by their path in the working
    directory; ``listed``: the server's answer, when already asked."""
    files = (listed or c.datasets.files(state.dataset))["files"]
    if state.single:
        return {posixpath.basename(state.path): dict(file, path=posixpath.basename(state.path)) for file in files}
    return {file["path"]: file for file in files}


def _bar(total: int, what: str) -> tqdm:
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=what, file=sys.stderr,
                disable=None)  # none when stderr is not a terminal


class _Recorder:
    """Records each transferred file in the state while the next one moves (in another thread,
    with its SHA-256 if ``digests``: hashlib lets go of the interpreter).  The state is saved
    every :data:`SAVE_EVERY_S` and at the end, so an interruption keeps (nearly all of) what
    is done; a file that could not be recorded fails the command."""

    def __init__(self, root: Path, state: State, digests: bool = False) -> None:
        self.root, self.state, self.digests = root, state, digests
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="remotem-digest")
        self._recorded: list[Future[None]] = []
        self._saved = time.monotonic()

    def done(self, relative: str, remote_mtime: float | None) -> None:
        self._recorded.append(self._pool.submit(self._record, relative, remote_mtime))

    def _record(self, relative: str, remote_mtime: float | None) -> None:
        self.state.remember(self.root, relative, remote_mtime, self.digests)
        if time.monotonic() - self._saved >= SAVE_EVERY_S:
            self.state.save(self.root)
            self._saved = time.monotonic()

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self._pool.shutdown(wait=True)
        self.state.save(self.root)
        if kind is None:  # else the error already under way is the one to report
            for recorded in self._recorded:
                recorded.result()


def _each(move: Callable[[Any], None], items: Iterable[Any], size: Callable[[Any], int]) -> None:
    """``move`` every item: the small ones :data:`PARALLEL_FILES` at a time, then the large
    ones in order.  On the first failure (or an interrupt) nothing more starts."""
    items = list(items)
    small = [item for item in items if size(item) < SMALL_FILE_BYTES]
    pool = ThreadPoolExecutor(PARALLEL_FILES, thread_name_prefix="remotem-move")
    try:
        for moved in [pool.submit(move, item) for item in small]:
            moved.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for item in items:
        if size(item) >= SMALL_FILE_BYTES:
            move(item)


def _upload(c: Any, root: Path, state: State, names: list[str], digests: bool = False) -> None:
    """Upload ``names`` (paths below ``root``); ``digests``: record each one's SHA-256 now."""
    from ..client import files

    sizes = {name: (root / name).stat().st_size for name in names}
    with _bar(sum(sizes.values()), "push") as bar, _Recorder(root, state, digests) as recorder:

        def push_one(name: str) -> None:
            sent = files.send(c, root / name, state.repository, _remote_path(state, name), overwrite=True)
            recorder.done(name, sent.mtime)
            bar.update(sizes[name])

        _each(push_one, names, sizes.__getitem__)


def _download(c: Any, root: Path, state: State, wanted: list[dict[str, Any]], whole: bool = False) -> None:
    """Download ``wanted`` (listing entries); ``whole``: they are all the dataset's files, so
    its small ones come in one zip (:data:`ZIP_AT_LEAST` or more of them), the rest one by one."""
    from ..client import files

    with _bar(sum(file["size"] for file in wanted), "pull") as bar, _Recorder(root, state) as recorder:
        small = {file["path"]: file for file in wanted if file["size"] < SMALL_FILE_BYTES}
        if whole and not state.single and len(small) >= ZIP_AT_LEAST:
            for name in files.download_small_files(c, state.repository, state.path,
                                                   {name: file["size"] for name, file in small.items()},
                                                   root, root / STATE.parent, SMALL_FILE_BYTES):
                recorder.done(name, small[name].get("mtime"))
                bar.update(small[name]["size"])
                small.pop(name)
            wanted = [file for file in wanted if file["size"] >= SMALL_FILE_BYTES or file["path"] in small]

        def pull_one(file: dict[str, Any]) -> None:
            target = root / file["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            files.download(c, state.repository, _remote_path(state, file["path"]), target, size=file["size"],
                           block_bytes=files.SHORT_LIVED_BLOCK_BYTES)
            recorder.done(file["path"], file.get("mtime"))
            bar.update(file["size"])

        _each(pull_one, wanted, lambda file: file["size"])


def _remote_sha256(c: Any, state: State) -> Callable[[str], str]:
    """The SHA-256 of a file of the dataset on the server, by its path here."""
    from ..client import files

    return lambda relative: files.sha256(c, state.repository, _remote_path(state, relative))


def login(args: argparse.Namespace) -> int:
    token = args.token or input("Personal token (rmt_…): ").strip()
    made = settings.Login(args.url.rstrip("/") + "/", token)
    with _client(made) as c:
        repositories = [r["name"] for r in c.repositories]
    folder = settings.save(made)
    print(f"Logged in to {made.url} ({len(repositories)} repositories); settings in {folder}")
    return 0


def ls(args: argparse.Namespace) -> int:
    with _client() as c:
        for dataset in c.datasets.list(mine=args.mine):
            print(f"{dataset['id']}  {dataset['state']:6}  {dataset['type']:14}  {dataset['owner']:12}  "
                  f"{dataset['repository']}:{dataset['path']}  {dataset['name']}")
    return 0


def rm(args: argparse.Namespace) -> int:
    """Unregister a dataset of yours; its files stay on the server (delete them there if meant)."""
    with _client() as c:
        dataset = c.datasets.get(args.dataset)
        c.datasets.unregister(args.dataset)
    print(f"unregistered '{dataset['name']}'; its files stay in {dataset['repository']}:{dataset['path']}")
    return 0


def init(args: argparse.Namespace) -> int:
    root = Path(args.directory).resolve()
    if (root / ".remotem").exists():
        raise SystemExit(f"{root} is already a working directory; use 'remotem push'.")
    if not root.is_dir():
        raise SystemExit(f"{root} is not a folder.")
    with _client() as c:
        login_url = settings.load().url
        state = State(login_url, "", args.repository, args.path.strip("/"))
        names = sorted(local_files(root))
        if not names:
            raise SystemExit(f"{root} holds no files to make a dataset of.")
        _upload(c, root, state, names)
        dataset = c.datasets.register(args.repository, state.path, args.name or root.name,
                                      description=args.description or "", type=args.type)
        state.dataset = dataset["id"]
        state.save(root)
    print(f"{dataset['id']}  {len(names)} files in {args.repository}:{state.path}  ({dataset['type']})")
    return 0


def derive(args: argparse.Namespace) -> int:
    """Run a command on a closed dataset's files here, then push what it wrote as a dataset
    derived from it, with a run record (the command, its exit status and times, the input's
    manifest digest, every output's SHA-256, the software)."""
    import platform
    import subprocess
    from datetime import datetime, timezone
    from importlib import metadata

    from ..datasets.manifest import digest_of

    args.command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not args.command:
        raise SystemExit("Say which command to run after '--', e.g. remotem derive ... -- python fit.py")
    outputs = Path(args.outputs).resolve()
    with _client() as c:
        parent = c.datasets.get(args.source)
        if parent["state"] != "closed":
            raise SystemExit(f"'{parent['name']}' is open: derive from a closed dataset, so that what the "
                             "command read cannot change ('remotem close' it first).")
        manifest = c.datasets.manifest(parent["id"])
        started = datetime.now(timezone.utc)
        finished = subprocess.run(args.command)
        if finished.returncode != 0:
            raise SystemExit(f"The command failed (exit status {finished.returncode}); nothing was pushed.")
        names = sorted(local_files(outputs)) if outputs.is_dir() else []
        if not names:
            raise SystemExit(f"The command wrote nothing into {outputs}; nothing was pushed.")
        state = State(settings.load().url, "", args.repository, args.path.strip("/"))
        _upload(c, outputs, state, names, digests=True)  # the run record names every output's SHA-256
        run = {"command": list(args.command), "exit_status": finished.returncode, "cwd": str(Path.cwd()),
               "started": started.isoformat(), "ended": datetime.now(timezone.utc).isoformat(),
               "inputs": [{"dataset": parent["id"], "repository": parent["repository"], "path": parent["path"],
                           "manifest_sha256": digest_of([(f["path"], f["size"], f["sha256"]) for f in manifest])}],
               "outputs": [{"path": name, **{k: state.files[name][k] for k in ("size", "sha256")}} for name in names],
               "software": {"python": platform.python_version(), "platform": platform.platform(),
                            "jupyter_remotem": metadata.version("jupyter_remotem")}}
        dataset = c.datasets.register(args.repository, state.path, args.name or outputs.name, parents=[parent["id"]],
                                      description=f"Derived from '{parent['name']}' by {' '.join(args.command)}",
                                      run=run)
        state.dataset = dataset["id"]
        state.save(outputs)
    print(f"{dataset['id']}  {len(names)} files in {args.repository}:{state.path}, derived from {parent['id']}")
    return 0


def clone(args: argparse.Namespace) -> int:
    with _client() as c:
        dataset = c.datasets.get(args.dataset)
        listed = c.datasets.files(args.dataset)
        root = Path(args.directory or posixpath.basename(dataset["path"]) or dataset["id"]).resolve()
        if root.exists() and any(root.iterdir()):
            raise SystemExit(f"{root} exists and is not empty.")
        root.mkdir(parents=True, exist_ok=True)
        state = State(settings.load().url, dataset["id"], dataset["repository"], dataset["path"],
                      single=[file["path"] for file in listed["files"]] == [""])
        _download(c, root, state, list(_listing(c, state, listed).values()), whole=True)
        state.save(root)
    print(f"{root}: {len(listed['files'])} files of '{dataset['name']}' ({dataset['state']})")
    return 0


def _working(args: argparse.Namespace) -> tuple[Path, State]:
    """The working directory a command acts on, and what it remembers."""
    root = Path(args.directory).resolve()
    return root, State.load(root)


def status(args: argparse.Namespace) -> int:
    root, state = _working(args)
    with _client() as c:
        dataset = c.datasets.get(state.dataset)
        found = changes(root, state, _listing(c, state), _remote_sha256(c, state))
        if found.touched:  # their content was read once; the new mtimes spare the next read
            state.save(root)
    print(f"{dataset['name']} ({dataset['state']}) in {state.repository}:{state.path}")
    for label, names in (("added", found.added), ("modified", found.modified), ("deleted", found.deleted),
                         ("added on the server", found.remote_added),
                         ("modified on the server", found.remote_modified),
                         ("deleted on the server", found.remote_deleted)):
        for name in names:
            print(f"  {label}: {name}")
    if found.clean:
        print("  nothing to push or pull")
    return 0


def push(args: argparse.Namespace) -> int:
    root, state = _working(args)
    with _client() as c:
        dataset = c.datasets.get(state.dataset)
        if dataset["state"] == "closed":
            raise SystemExit(f"'{dataset['name']}' is closed: its files no longer change. "
                             "Derive a new dataset from it instead.")
        found = changes(root, state, _listing(c, state), _remote_sha256(c, state))
        _upload(c, root, state, found.added + found.modified)
        for name in found.deleted:
            c.rm(state.repository, _remote_path(state, name))
            state.files.pop(name, None)
            state.save(root)
    print(f"pushed {len(found.added) + len(found.modified)} files, removed {len(found.deleted)}")
    return 0


def pull(args: argparse.Namespace) -> int:
    root, state = _working(args)
    with _client() as c:
        listed = _listing(c, state)
        found = changes(root, state, listed, _remote_sha256(c, state))
        local = set(found.modified) | set(found.added)
        conflicts = sorted(local & (set(found.remote_modified) | set(found.remote_added)))
        if conflicts:
            raise SystemExit(f"Changed here and on the server: {', '.join(conflicts[:5])}; "
                             "move your version aside, then pull.")
        wanted = [listed[name] for name in found.remote_added + found.remote_modified]
        _download(c, root, state, wanted)
        for name in found.remote_deleted:
            if name not in local:
                (root / name).unlink(missing_ok=True)
            state.files.pop(name, None)
        state.save(root)
    print(f"pulled {len(wanted)} files, removed {len(found.remote_deleted)}")
    return 0


def close(args: argparse.Namespace) -> int:
    root, state = _working(args)
    with _client() as c:
        found = changes(root, state, _listing(c, state), _remote_sha256(c, state))
        if found.touched:
            state.save(root)
        if found.unpushed:
            raise SystemExit("There are changes not pushed yet; push them (or undo them) before closing.")
        summary = c.datasets.close(state.dataset)
    print(f"closed: {summary['files']} files, {summary['bytes']} bytes recorded with their SHA-256")
    return 0


Runner = Callable[[argparse.Namespace], int]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="remotem", description="Datasets of a jupyter_remotem server as "
                                                              "working directories.")
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, run: Runner, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    sub = command("login", login, "remember a server and a personal token")
    sub.add_argument("url", help="the Jupyter server, with its base URL (https://hub/user/alice/)")
    sub.add_argument("--token", help="a personal token (rmt_…); asked for when not given")
    sub = command("ls", ls, "list the datasets you may see")
    sub.add_argument("--mine", action="store_true", help="only yours")
    sub = command("rm", rm, "unregister a dataset of yours (its files stay)")
    sub.add_argument("dataset", help="the dataset's id (remotem ls)")
    sub = command("init", init, "upload a folder and register it as a dataset")
    sub.add_argument("directory", nargs="?", default=".")
    sub.add_argument("--repository", required=True, help="where on the server (a writable repository)")
    sub.add_argument("--path", required=True, help="the folder in that repository")
    sub.add_argument("--name", help="the dataset's name (default: the folder's)")
    sub.add_argument("--description")
    sub.add_argument("--type", help="a dataset type (default: recognised)")
    sub = command("derive", derive, "run a command on a closed dataset, push its outputs as a derived dataset")
    sub.add_argument("--from", dest="source", required=True, help="the closed dataset the command reads")
    sub.add_argument("--repository", required=True, help="where the outputs go (a writable repository)")
    sub.add_argument("--path", required=True, help="the folder in that repository")
    sub.add_argument("--outputs", required=True, help="the local folder the command writes into")
    sub.add_argument("--name", help="the new dataset's name (default: the outputs folder's)")
    sub.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command and its arguments")
    sub = command("clone", clone, "download a dataset into a new working directory")
    sub.add_argument("dataset", help="the dataset's id (remotem ls)")
    sub.add_argument("directory", nargs="?")
    for name, run, help in (("status", status, "what differs here and on the server"),
                            ("push", push, "upload what changed here"),
                            ("pull", pull, "download what changed on the server"),
                            ("close", close, "close the dataset: its files are recorded and no longer change")):
        command(name, run, help).add_argument("directory", nargs="?", default=".")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    from ..client.errors import RemotemError

    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except settings.NotLoggedIn as error:
        print(f"remotem: {error}", file=sys.stderr)
    except (RemotemError, OSError) as error:
        print(f"remotem: {error}", file=sys.stderr)
    except SystemExit as refusal:
        if isinstance(refusal.code, str):
            print(f"remotem: {refusal.code}", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        print("remotem: interrupted; run the same command again to go on.", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
