"""``jupyter remotem`` — command-line front door.

Each subcommand is one function registered in :data:`COMMANDS` with its argument setup, so
new commands (``worker``, ...) are added without touching the others.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int], str]


def _demo_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", help="folder to write the demo files into (created if missing)")
    parser.add_argument(
        "--size",
        choices=("small", "large"),
        default="small",
        help="small: 32×48 scan of 64×64 frames in every format (~100 MB in all); "
        "large: adds large/scan_large.h5, a 256×256 scan of 128×128 frames (2 GiB)",
    )


def _demo_data(args: argparse.Namespace) -> int:
    from .demo import generate

    started = time.perf_counter()
    paths = generate(args.directory, size=args.size)
    for path in paths:
        print(path)
    print(f"{len(paths)} files ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def _worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help="job database: sqlite:///FILE or postgresql://... "
                        "(default: the config's database_url, else the SQLite file in the Jupyter data folder)")
    parser.add_argument("--config", metavar="FILE", required=True,
                        help='JSON file {"repositories": [...], "database_url": optional}; the repositories '
                        "are the same dicts as RemotemApp.repositories")
    parser.add_argument("--lock", metavar="FILE",
                        help="hold an exclusive lock on FILE while running; exit at once if another worker holds it")
    parser.add_argument("--once", action="store_true", help="exit when the queue is empty instead of waiting")
    parser.add_argument("--idle-exit", type=float, default=None, metavar="S",
                        help="exit after this many seconds without a job (the server starts a new worker)")
    parser.add_argument("--scheduler", default="local", metavar="ADDRESS",
                        help="Dask cluster for big jobs: 'local' (a LocalCluster started when first needed), "
                        "'none' (always inline) or a scheduler address")
    parser.add_argument("--cluster-threshold", type=float, default=4 * 1024**3, metavar="BYTES",
                        help="jobs reading at least this much run on the cluster, smaller ones inline")
    parser.add_argument("--batch-nice", type=int, default=0, metavar="N",
                        help="once a job is claimed, run at this much lower CPU priority (the server passes 10)")
    parser.add_argument("--poll", type=float, default=0.5, metavar="S", help="seconds between looks at an empty queue")
    parser.add_argument("--stale-after", type=float, default=None, metavar="S",
                        help="requeue jobs whose worker has been silent this long (default 30)")
    parser.add_argument("--report", type=float, default=1.0, metavar="S",
                        help="seconds between progress reports and checks for cancel/pause")
    parser.add_argument("--partition-bytes", type=int, default=None, metavar="N",
                        help="bytes of frames per partition (and per checkpoint)")
    parser.add_argument("--max-read-rate", type=float, default=None, metavar="BYTES_S",
                        help="read at most this many bytes per second, leaving shared storage to others")
    parser.add_argument("--worker-id", default=None, help="name in job records (default host:pid:random)")
    parser.add_argument("--scratch", metavar="DIR", default=None,
                        help="folder where outputs for remote repositories are built before their upload")


def _without_iri_grammars() -> None:
    """Keep ``jsonschema`` from importing ``rfc3987_syntax`` in a worker process.

    That optional checker of the ``iri`` formats compiles 39 Lark grammars when imported, about two
    seconds of CPU in every worker start, and no schema served here asks for those formats.
    A worker is a process of its own, so hiding the module harms no one else's code.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _worker(args: argparse.Namespace) -> int:
    import json
    import signal
    from pathlib import Path

    _without_iri_grammars()

    from .compute.partitions import TARGET_BYTES
    from .jobs.store import JobStore, default_database_url
    from .jobs.worker import STALE_AFTER_S, Worker, WorkerOptions
    from .storage.registry import RepositoryRegistry

    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    if args.lock:
        from .jobs.supervisor import acquire_lock

        lock = acquire_lock(Path(args.lock))
        if lock is None:
            print(f"another worker holds {args.lock}; exiting", file=sys.stderr)
            return 0
    repositories = RepositoryRegistry.from_dicts(config.get("repositories") or [])
    options = WorkerOptions(
        poll_s=args.poll,
        stale_after_s=args.stale_after if args.stale_after is not None else STALE_AFTER_S,
        report_s=args.report,
        partition_bytes=args.partition_bytes or TARGET_BYTES,
        max_read_rate=args.max_read_rate,
        once=args.once,
        idle_exit_s=args.idle_exit,
        scratch_dir=Path(args.scratch) if args.scratch else None,
        scheduler=args.scheduler,
        cluster_threshold_bytes=int(args.cluster_threshold),
        batch_nice=args.batch_nice,
        clusters_file=Path(config["clusters_file"]) if config.get("clusters_file") else None,
    )
    logging.getLogger("jupyter_remotem.jobs").setLevel(logging.INFO)
    store = JobStore(args.db or config.get("database_url") or default_database_url())
    own_storages = None
    if config.get("credentials_key"):  # users' own storages, opened per job for its owner
        from .storage.credentials import CredentialCipher
        from .storage.own import OwnStorages, Site

        own_storages = OwnStorages(store, CredentialCipher(config["credentials_key"]),
                                   site=Site.from_config(config.get("user_storage_site")))
    worker = Worker(store, repositories, args.worker_id, options, own_storages=own_storages)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    try:
        return worker.run()
    finally:
        store.close()


COMMANDS: dict[str, Command] = {
    "demo-data": (_demo_data_arguments, _demo_data, "write synthetic 4D-STEM demo data in every supported format"),
    "worker": (_worker_arguments, _worker, "run queued jobs (reductions, transformations, copies) from the job database until stopped"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter remotem", description="jupyter_remotem command-line tools")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (setup, run, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        setup(command)
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
