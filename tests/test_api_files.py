"""Files where they live: new folder, rename, delete on the tree; downloads of files (resumable
with Range, checked with curl) and folders (a zip that Python's zipfile and unzip open); and the
same from the notebook client (``c.upload``, ``c.download``, ``c.mkdir``, ``c.mv``, ``c.rm``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
import zlib

import numpy as np
import pytest
import requests

from _api import call, encoded, server_config

MiB = 1024**2


@pytest.fixture
def folders(tmp_path):
    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "scans" / "deep").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("not yours")
    rng = np.random.default_rng(1)
    (work / "scans" / "a.bin").write_bytes(rng.integers(0, 256, 3 * MiB + 11, dtype=np.uint8).tobytes())
    (work / "scans" / "deep" / "b.txt").write_text("detector notes")
    (work / "scans" / ".hidden.json").write_text("{}")
    os.symlink(outside / "secret.txt", work / "scans" / "link-out.txt")
    os.symlink(outside, work / "scans" / "folder-out")
    return tmp_path


@pytest.fixture
def jp_server_config(folders, repositories):
    return server_config(repositories + [{"name": "work", "url": str(folders / "work"), "writable": True}])


def check_error(code, answer, status):
    assert code == status, (code, answer)
    assert answer["error"]["code"] and answer["error"]["message"] and answer["error"]["hint"], answer


async def test_new_folder_rename_and_delete(jp_fetch, folders):
    work = folders / "work"
    code, made = await call(jp_fetch, "PUT", "repositories", "work", "tree", "new/inner", body={"type": "directory"})
    assert code == 404 or code == 400, made  # the parent must exist
    code, made = await call(jp_fetch, "PUT", "repositories", "work", "tree", "new", body={"type": "directory"})
    assert code == 201 and made["type"] == "directory" and (work / "new").is_dir(), made
    check_error(*await call(jp_fetch, "PUT", "repositories", "work", "tree", "new", body={"type": "directory"}), 409)
    check_error(*await call(jp_fetch, "PUT", "repositories", "work", "tree", "x", body={"type": "file"}), 400)
    check_error(*await call(jp_fetch, "PUT", "repositories", "demo", "tree", "x", body={"type": "directory"}), 403)

    code, moved = await call(jp_fetch, "PATCH", "repositories", "work", "tree", "scans/deep/b.txt",
                             body={"path": "new/notes.txt"})
    assert code == 200 and moved["path"] == "new/notes.txt", moved
    assert (work / "new" / "notes.txt").read_text() == "detector notes" and not (work / "scans/deep/b.txt").exists()
    check_error(*await call(jp_fetch, "PATCH", "repositories", "work", "tree", "scans/a.bin",
                            body={"path": "new/notes.txt"}), 409)
    check_error(*await call(jp_fetch, "PATCH", "repositories", "work", "tree", "scans",
                            body={"path": "scans/deep/scans"}), 400)
    check_error(*await call(jp_fetch, "PATCH", "repositories", "work", "tree", "scans/a.bin",
                            body={"path": "../escaped.bin"}), 400)
    check_error(*await call(jp_fetch, "PATCH", "repositories", "work", "tree", "", body={"path": "root"}), 400)
    # A link out is moved as a link (never what it points to).
    code, moved = await call(jp_fetch, "PATCH", "repositories", "work", "tree", "scans/link-out.txt",
                             body={"path": "new/link.txt"})
    assert code == 404, moved  # invisible: it leads outside
    assert (folders / "outside" / "secret.txt").read_text() == "not yours"

    check_error(*await call(jp_fetch, "DELETE", "repositories", "work", "tree", "scans"), 409)  # not empty
    check_error(*await call(jp_fetch, "DELETE", "repositories", "work", "tree", ""), 400)
    check_error(*await call(jp_fetch, "DELETE", "repositories", "demo", "tree", "scan.npy"), 403)
    check_error(*await call(jp_fetch, "DELETE", "repositories", "work", "tree", "scans/link-out.txt/x"), 404)
    code, _ = await call(jp_fetch, "DELETE", "repositories", "work", "tree", "scans/link-out.txt")
    assert code == 404  # a link out is not the user's to see, so not to delete either
    code, _ = await call(jp_fetch, "DELETE", "repositories", "work", "tree", "scans", recursive=1)
    assert code == 204 and not (work / "scans").exists()
    assert sorted(p.name for p in (folders / "outside").iterdir()) == ["secret.txt"], "nothing outside is touched"
    code, _ = await call(jp_fetch, "DELETE", "repositories", "work", "tree", "new/notes.txt")
    assert code == 204 and not (work / "new" / "notes.txt").exists()
    code, _ = await call(jp_fetch, "DELETE", "repositories", "work", "tree", "new")
    assert code == 204 and not (work / "new").exists()


async def test_a_file_downloads_whole_and_by_range(jp_fetch, folders):
    data = (folders / "work" / "scans" / "a.bin").read_bytes()
    whole = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans/a.bin")
    assert whole.body == data and whole.headers["Accept-Ranges"] == "bytes"
    assert "a.bin" in whole.headers["Content-Disposition"]
    part = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans/a.bin",
                          headers={"Range": "bytes=1000-2000999"})
    assert part.code == 206 and part.body == data[1000:2001000]
    assert part.headers["Content-Range"] == f"bytes 1000-2000999/{len(data)}"
    tail = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans/a.bin",
                          headers={"Range": "bytes=-10"})
    assert tail.body == data[-10:]
    for bad in ("bytes=99999999-", "bytes=5-1", "lines=1-2", "bytes=1-2,4-5"):
        response = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans/a.bin",
                                  headers={"Range": bad}, raise_error=False)
        assert response.code == 416, (bad, response.code)
        assert json.loads(response.body)["error"]["hint"]
    response = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans/link-out.txt",
                              raise_error=False)
    assert response.code == 404
    response = await jp_fetch("remotem", "api", "repositories", "private", "download", "scan.npy", raise_error=False)
    assert response.code == 404, "a repository the user may not see is not there"


async def test_curl_resumes_a_download(jp_fetch, folders, jp_http_port, jp_base_url, jp_auth_header, tmp_path):
    curl = shutil.which("curl")
    assert curl, "curl is part of the machine"
    data = (folders / "work" / "scans" / "a.bin").read_bytes()
    target = tmp_path / "a.bin"
    target.write_bytes(data[:MiB])  # an interrupted earlier download
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}remotem/api/repositories/work/download/scans/a.bin"
    process = await asyncio.create_subprocess_exec(
        curl, "-sS", "-f", "-C", "-", "-o", str(target), "-H", f"Authorization: {jp_auth_header['Authorization']}",
        url, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = await process.communicate()
    assert process.returncode == 0, err
    assert hashlib.sha256(target.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


async def test_a_folder_downloads_as_a_zip_without_what_leads_outside(jp_fetch, folders, tmp_path):
    response = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans")
    assert response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert names == [".hidden.json", "a.bin", "deep/b.txt"], names
    assert archive.read("a.bin") == (folders / "work" / "scans" / "a.bin").read_bytes()
    assert b"not yours" not in response.body
    unzip = shutil.which("unzip")
    if unzip:
        (tmp_path / "scans.zip").write_bytes(response.body)
        listing = subprocess.run([unzip, "-t", str(tmp_path / "scans.zip")], capture_output=True, text=True)
        assert listing.returncode == 0, listing.stdout + listing.stderr


async def test_a_folder_zip_of_its_small_files_only(jp_fetch, folders, jp_http_port, jp_base_url, jp_auth_header,
                                                   tmp_path):
    """``?smaller_than=N`` zips only the files of fewer than N bytes (what a clone takes in one
    answer); the client writes those it wants, each checked by its size and CRC-32."""
    response = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans",
                              params={"smaller_than": str(MiB)})
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    assert sorted(archive.namelist()) == [".hidden.json", "deep/b.txt"]
    assert archive.read("deep/b.txt") == b"detector notes"
    assert b"not yours" not in response.body
    none = await jp_fetch("remotem", "api", "repositories", "work", "download", "scans", params={"smaller_than": "0"})
    assert zipfile.ZipFile(io.BytesIO(none.body)).namelist() == []
    for bad in ("-1", "many"):
        code, answer = await call(jp_fetch, "GET", "repositories", "work", "download", "scans", smaller_than=bad)
        check_error(code, answer, 400)

    import jupyter_remotem as remotem
    from jupyter_remotem.client import files

    token = jp_auth_header["Authorization"].split(" ", 1)[1]

    def fetch() -> tuple[list[str], str]:
        with remotem.connect(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token) as c:
            into = tmp_path / "into"
            # A wanted size that differs from the file's (it changed since the listing) is not written.
            written = files.download_small_files(c, "work", "scans", {"deep/b.txt": 14, ".hidden.json": 3}, into,
                                                 tmp_path / "scratch", MiB)
            return written, files.sha256(c, "work", "scans/a.bin")

    written, digest = await asyncio.to_thread(fetch)
    assert written == ["deep/b.txt"] and (tmp_path / "into" / "deep" / "b.txt").read_text() == "detector notes"
    assert not (tmp_path / "into" / ".hidden.json").exists() and not any((tmp_path / "scratch").iterdir())
    assert digest == hashlib.sha256((folders / "work" / "scans" / "a.bin").read_bytes()).hexdigest()


async def test_the_client_manages_files(jp_fetch, folders, jp_http_port, jp_base_url, jp_server_config, tmp_path,
                                        jp_auth_header):
    import jupyter_remotem as remotem

    token = jp_auth_header["Authorization"].split(" ", 1)[1]

    def work() -> None:
        c = remotem.connect(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token)
        try:
            local = tmp_path / "local.bin"
            local.write_bytes(os.urandom(2 * MiB + 3))
            job = c.upload(local, "work", "inbox/local.bin")
            assert job.status == "COMPLETED" and job.kind == "upload"
            assert (folders / "work" / "inbox" / "local.bin").read_bytes() == local.read_bytes()
            strong = c.upload(local, "work", "inbox/strong.bin", checksum="sha256", whole_file_checksum=True)
            assert strong.status == "COMPLETED"
            assert (folders / "work" / "inbox" / "strong.bin").read_bytes() == local.read_bytes()
            with pytest.raises(ValueError, match="crc64"):
                c.upload(local, "work", "inbox/never.bin", checksum="crc64")
            assert not (folders / "work" / "inbox" / "never.bin").exists()
            assert [job.status for job in c.jobs() if job.kind == "upload"].count("HELD") == 0
            c.mkdir("work", "more")
            c.mv("work", "inbox/local.bin", "more/renamed.bin")
            back = c.download("work", "more/renamed.bin", tmp_path / "back.bin")
            assert back.read_bytes() == local.read_bytes()
            zipped = c.download("work", "more", tmp_path)
            assert zipfile.ZipFile(zipped).read("renamed.bin") == local.read_bytes()
            c.rm("work", "more", recursive=True)
            assert not (folders / "work" / "more").exists()
            with pytest.raises(remotem.RemotemError) as refused:
                c.rm("demo", "scan.npy")
            assert refused.value.status == 403
        finally:
            c.close()

    await asyncio.to_thread(work)


async def test_deleting_or_moving_an_uploaded_file_in_the_tree_keeps_the_quota_true(jp_fetch, jp_http_port,
                                                                                      jp_base_url, jp_auth_header,
                                                                                      tmp_path):
    """The ledger follows the tree: a moved file still counts (under its new path), a deleted one
    no longer does."""
    import jupyter_remotem as remotem

    token = jp_auth_header["Authorization"].split(" ", 1)[1]
    local = tmp_path / "result.bin"
    local.write_bytes(b"r" * 100_000)

    def send():
        with remotem.connect(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token) as c:
            return c.upload(local, "work", "results/result.bin").id

    job_id = await asyncio.to_thread(send)
    code, quota = await call(jp_fetch, "GET", "quota")
    assert quota["usage"]["storage_bytes"] == 100_000, quota
    code, _ = await call(jp_fetch, "PATCH", "repositories", "work", "tree", "results",
                         body={"path": "kept"})
    assert code == 200
    code, job = await call(jp_fetch, "GET", "jobs", job_id)
    assert job["written"]["files"] == 1, job["written"]
    assert job["written"]["sample"] == [{"repository": "work", "path": "kept/result.bin"}], job["written"]
    code, quota = await call(jp_fetch, "GET", "quota")
    assert quota["usage"]["storage_bytes"] == 100_000, quota
    code, _ = await call(jp_fetch, "DELETE", "repositories", "work", "tree", "kept", recursive=1)
    assert code == 204
    code, quota = await call(jp_fetch, "GET", "quota")
    assert quota["usage"]["storage_bytes"] == 0, quota
    code, job = await call(jp_fetch, "GET", "jobs", job_id)
    assert job["written"]["files"] == 0, job["written"]


async def test_the_client_resumes_an_interrupted_chunked_upload(jp_fetch, folders, jp_http_port, jp_base_url,
                                                                tmp_path, jp_auth_header, monkeypatch):
    """A network failure after two of six chunks: called again, the client asks the server
    where it stopped and sends only the last four (each with its CRC-32), and the file is whole."""
    import jupyter_remotem as remotem
    from jupyter_remotem.client import files

    token = jp_auth_header["Authorization"].split(" ", 1)[1]

    def work() -> None:
        c = remotem.connect(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token)
        session, sent, link = c.connection.session, [], {"down_after": 2}
        patch = session.patch

        def watched(url, data=None, **kwargs):
            """What each PATCH sends; the link goes down before the third of the first call."""
            if len(sent) == link["down_after"]:
                raise requests.ConnectionError("the link went down")
            sent.append((int(kwargs["headers"]["Upload-Offset"]), len(data), kwargs["headers"]["Upload-Checksum"]))
            return patch(url, data=data, **kwargs)

        try:
            local = tmp_path / "chunked.bin"
            local.write_bytes(os.urandom(5 * MiB + 7))
            session.patch = watched
            with pytest.raises(requests.ConnectionError):
                c.upload(local, "work", "inbox/chunked.bin", chunk_bytes=MiB)
            assert not (folders / "work" / "inbox" / "chunked.bin").exists()
            link["down_after"] = None
            job = c.upload(local, "work", "inbox/chunked.bin", chunk_bytes=MiB)
            assert job.status == "COMPLETED"
            assert (folders / "work" / "inbox" / "chunked.bin").read_bytes() == local.read_bytes()
            assert [offset for offset, _, _ in sent] == [0, MiB, 2 * MiB, 3 * MiB, 4 * MiB, 5 * MiB]
            whole = local.read_bytes()
            for offset, length, header in sent:
                assert length == min(MiB, len(whole) - offset)
                chunk = whole[offset:offset + length]
                assert header == "crc32 " + base64.b64encode(zlib.crc32(chunk).to_bytes(4, "big")).decode()
            # Chunks start small and grow up to chunk_bytes: four times each with CRC-32 (made
            # ahead at ten times a link's speed), twice with SHA-256.
            sent.clear()
            monkeypatch.setattr(files, "FIRST_CHUNK_BYTES", 256 * 1024)
            c.upload(local, "work", "inbox/ramped.bin", chunk_bytes=MiB)
            assert (folders / "work" / "inbox" / "ramped.bin").read_bytes() == whole
            kiB = 1024
            assert [offset for offset, _, _ in sent] == [0, 256 * kiB, 1280 * kiB, 2304 * kiB, 3328 * kiB, 4352 * kiB]
            sent.clear()
            c.upload(local, "work", "inbox/ramped-sha.bin", chunk_bytes=MiB, checksum="sha256")
            assert (folders / "work" / "inbox" / "ramped-sha.bin").read_bytes() == whole
            assert [offset for offset, _, _ in sent] == [0, 256 * kiB, 768 * kiB, 1792 * kiB, 2816 * kiB, 3840 * kiB,
                                                        4864 * kiB]
            assert all(header.startswith("sha256 ") for _, _, header in sent)
            with pytest.raises(ValueError, match="chunk_bytes"):
                c.upload(local, "work", "inbox/none.bin", chunk_bytes=0)
        finally:
            c.close()

    await asyncio.to_thread(work)


def test_an_upload_body_refuses_a_file_that_got_shorter(tmp_path):
    """A local file cut short while it is sent ends the request with an error: the server, short
    of Content-Length, keeps nothing of that chunk, where padding would have sent bytes that
    were never in the file."""
    from jupyter_remotem.client.files import _FileRange

    local = tmp_path / "shrinking.bin"
    local.write_bytes(os.urandom(3 * MiB))
    with _FileRange(local, MiB, 2 * MiB) as body:
        assert len(body) == 2 * MiB
        assert bytes(body.read()) == local.read_bytes()[MiB:2 * MiB]
        with open(local, "r+b") as stream:
            stream.truncate(2 * MiB + MiB // 2)
        assert len(bytes(body.read())) == MiB // 2
        with pytest.raises(OSError, match="shorter"):
            body.read()


def test_upload_chunks_grow_to_what_the_link_sends_in_a_few_seconds():
    """On a slow link a chunk holds about CHUNK_SECONDS of sending (an interruption costs no
    more to send again); on a fast one chunks grow by the checksum's factor to chunk_bytes."""
    from jupyter_remotem.client.files import CHUNK_SECONDS, FIRST_CHUNK_BYTES, _ChunkPlan

    slow = _ChunkPlan(1024**3, "crc32")
    assert slow.next() == FIRST_CHUNK_BYTES
    slow.took(FIRST_CHUNK_BYTES, FIRST_CHUNK_BYTES / 10e6)  # 10 MB/s
    assert slow.next() == 4 * FIRST_CHUNK_BYTES
    slow.took(4 * FIRST_CHUNK_BYTES, 4 * FIRST_CHUNK_BYTES / 10e6)
    assert slow.next() == int(10e6 * CHUNK_SECONDS)
    fast = _ChunkPlan(256 * MiB, "sha256")
    sizes = [fast.next()]
    for _ in range(8):
        fast.took(sizes[-1], sizes[-1] / 2e9)
        sizes.append(fast.next())
    assert sizes == [4 * MiB, 8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB, 128 * MiB, 256 * MiB, 256 * MiB, 256 * MiB]
