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


COMMANDS: dict[str, Command] = {
    "demo-data": (_demo_data_arguments, _demo_data, "write synthetic 4D-STEM demo data in every supported format"),
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
