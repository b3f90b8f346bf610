"""Glue for rsciio readers that only accept a path on this machine (MIB, DM, blockfile).

These readers memory-map or ``open()`` the file themselves, so they are given the file, or for
remote repositories a stand-in holding its headers (:mod:`.stand_in`).  We use them for what they
do well (headers, calibrations, metadata) and then read the data by byte offset.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import BadParameter


def refuse_internal_path(dataset: str | None, path: str, label: str) -> None:
    if dataset not in (None, "", "/"):
        raise BadParameter(f"'{path}' is a single-array {label} file; it has no internal dataset '{dataset}'.")


@contextmanager
def quiet() -> Iterator[None]:
    """rsciio warns and logs about harmless things (missing .hdr, unit conversions)."""
    logger = logging.getLogger("rsciio")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def read_signals(reader: Callable[..., list[dict[str, Any]]], local: str, **kwargs: Any) -> list[dict[str, Any]]:
    with quiet():
        return reader(local, lazy=True, **kwargs)
