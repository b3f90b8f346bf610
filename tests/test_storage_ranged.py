"""Byte ranges from WebDAV servers, including one that ignores ``Range`` and sends the whole file
(Python's own ``http.server``, which webdav4 can GET from like any WebDAV server)."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from webdav4.fsspec import WebdavFileSystem

from jupyter_remotem.storage import ranged


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def whole_file_server(tmp_path):
    """A plain HTTP server over tmp_path: every GET answers 200 with the whole file."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(10)
    server.server_close()


def test_a_server_ignoring_range_still_yields_exactly_the_bytes_asked_for(whole_file_server, tmp_path):
    data = np.random.default_rng(3).bytes(50_000)
    (tmp_path / "frames.bin").write_bytes(data)
    fs = WebdavFileSystem(base_url=whole_file_server)
    starts, ends = [0, 17, 49_990, 300], [10, 4_113, 50_000, 300]
    assert ranged.cat_ranges(fs, "frames.bin", starts, ends) == [data[s:e] for s, e in zip(starts, ends)]
    missing = ranged.cat_ranges(fs, "absent.bin", [0] * 5, [8] * 5)  # several: sent from threads
    assert len(missing) == 5 and all(isinstance(error, Exception) for error in missing)
