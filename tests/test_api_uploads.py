"""Uploads over tus 1.0 (``remotem/api/uploads``): with the tuspy client users have, and by hand
for every refusal; into local disk, S3 (moto) and WebDAV (wsgidav).

tuspy is synchronous, and pytest-jupyter runs the server in the test's own event loop, so the
client runs in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json

import numpy as np
import pytest

from _api import call, server_config
from _services import S3_SECRET, s3_repository, webdav_repository

TUS = {"Tus-Resumable": "1.0.0"}
MiB = 1024**2


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def random_bytes(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


@pytest.fixture
def folders(tmp_path):
    for name in ("inbox", "full", "readonly"):
        (tmp_path / name).mkdir()
    return tmp_path


@pytest.fixture
def jp_server_config(folders, repositories):
    return server_config(repositories + [
        {"name": "inbox", "url": str(folders / "inbox"), "writable": True},
        {"name": "readonly", "url": str(folders / "readonly")},
    ], quotas={"default": {"storage_bytes": 50 * 10**6}})


@pytest.fixture
def tus_url(jp_http_port, jp_base_url, jp_serverapp):
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}remotem/api/uploads"


async def tus(jp_fetch, method, *parts, body=None, headers=None):
    return await jp_fetch("remotem", "api", "uploads", *parts, method=method, body=body,
                          headers={**TUS, **(headers or {})}, raise_error=False, allow_nonstandard_methods=True)


async def create(jp_fetch, length, **meta):
    response = await tus(jp_fetch, "POST", body=b"",
                         headers={"Upload-Length": str(length), "Upload-Metadata": metadata(**meta)})
    return response


def upload_id(response) -> str:
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


async def patch(jp_fetch, uid, offset, chunk, checksum=None):
    headers = {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
    if checksum:
        headers["Upload-Checksum"] = checksum
    return await tus(jp_fetch, "PATCH", uid, body=chunk, headers=headers)


def check_error(response, status):
    assert response.code == status, (response.code, response.body[:300])
    error = json.loads(response.body)["error"]
    assert error["code"] and error["message"] and error["hint"], error
    return error


def tuspy_upload(url, headers, data: bytes, meta: dict, chunk_size: int, stop_at: int | None = None,
                 resume_url: str | None = None):
    from tusclient import client

    uploader = client.TusClient(url, headers=headers).uploader(
        file_stream=io.BytesIO(data), chunk_size=chunk_size, metadata=meta, upload_checksum=True,
        url=resume_url)
    if stop_at is None:
        uploader.upload()
    else:
        uploader.upload(stop_at=stop_at)
    return uploader


async def test_tuspy_uploads_and_resumes_a_file(jp_fetch, tus_url, jp_auth_header, folders):
    data = random_bytes(5 * MiB + 123)
    meta = {"repository": "inbox", "path": "raw/scan.bin"}
    first = await asyncio.to_thread(tuspy_upload, tus_url, jp_auth_header, data, meta, MiB, 2 * MiB)
    assert first.offset == 2 * MiB
    assert not (folders / "inbox" / "raw" / "scan.bin").exists(), "nothing under the real name until complete"
    partial = [p.name for p in (folders / "inbox" / "raw").iterdir()]
    assert len(partial) == 1 and partial[0].startswith(".scan.bin.remotem-upload-")
    uid = first.url.rstrip("/").rsplit("/", 1)[-1]
    head = await tus(jp_fetch, "HEAD", uid)
    assert head.code == 200 and head.headers["Upload-Offset"] == str(2 * MiB)
    assert head.headers["Upload-Length"] == str(len(data)) and head.headers["Cache-Control"] == "no-store"
    code, job = await call(jp_fetch, "GET", "jobs", uid)
    assert job["kind"] == "upload" and job["phase"] == "HELD" and job["progress"]["done"] == 2 * MiB, job
    # A new client (after a page reload, or another process) resumes from the server's offset.
    await asyncio.to_thread(tuspy_upload, tus_url, jp_auth_header, data, meta, MiB, None, first.url)
    target = folders / "inbox" / "raw" / "scan.bin"
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert [p.name for p in (folders / "inbox" / "raw").iterdir()] == ["scan.bin"]
    code, job = await call(jp_fetch, "GET", "jobs", uid)
    assert job["phase"] == "COMPLETED" and job["written"]["files"] == 1 and job["written"]["bytes"] == len(data), job
    code, quota = await call(jp_fetch, "GET", "quota")
    assert quota["usage"]["storage_bytes"] >= len(data), quota
    code, found = await call(jp_fetch, "GET", "search", q="name:scan.bin AND repository:inbox")
    assert code == 200 and [(h["path"], h["size"]) for h in found["hits"]] == [("raw/scan.bin", len(data))], found
    # Deleting the job removes the file, like every job's output (?keep_files=1 keeps it).
    code, _ = await call(jp_fetch, "DELETE", "jobs", uid)
    assert code == 204 and not target.exists()


async def test_every_refusal_comes_before_the_bytes_and_loses_nothing(jp_fetch, folders):
    check_error(await jp_fetch("remotem", "api", "uploads", method="POST", body=b"", raise_error=False,
                               headers={"Upload-Length": "3", "Upload-Metadata": metadata(repository="inbox",
                                                                                             path="a")}), 412)
    check_error(await create(jp_fetch, 3, repository="readonly", path="a.bin"), 403)
    check_error(await create(jp_fetch, 3, repository="nowhere", path="a.bin"), 404)
    check_error(await create(jp_fetch, 3, repository="inbox"), 400)
    check_error(await create(jp_fetch, 3, repository="inbox", path="../escape.bin"), 400)
    error = check_error(await create(jp_fetch, 60 * 10**6, repository="inbox", path="big.bin"), 403)
    assert error["code"] == "quota_exceeded", error
    (folders / "inbox" / "there.bin").write_bytes(b"old")
    check_error(await create(jp_fetch, 3, repository="inbox", path="there.bin"), 409)
    bad = await tus(jp_fetch, "POST", body=b"", headers={"Upload-Length": "x", "Upload-Metadata": metadata(
        repository="inbox", path="b.bin")})
    check_error(bad, 400)

    created = await create(jp_fetch, 10, repository="inbox", path="ten.bin")
    assert created.code == 201, created.body
    uid = upload_id(created)
    check_error(await patch(jp_fetch, uid, 3, b"abc"), 409)  # not at the upload's offset
    wrong = "sha1 " + base64.b64encode(hashlib.sha1(b"xyz").digest()).decode()
    check_error(await patch(jp_fetch, uid, 0, b"abcde", wrong), 460)
    assert (await tus(jp_fetch, "HEAD", uid)).headers["Upload-Offset"] == "0", "a bad chunk leaves nothing"
    check_error(await patch(jp_fetch, uid, 0, b"0123456789ABC"), 400)  # longer than Upload-Length
    assert (await tus(jp_fetch, "HEAD", uid)).headers["Upload-Offset"] == "0"
    right = "sha256 " + base64.b64encode(hashlib.sha256(b"01234").digest()).decode()
    ok = await patch(jp_fetch, uid, 0, b"01234", right)
    assert ok.code == 204 and ok.headers["Upload-Offset"] == "5"
    plain = await tus(jp_fetch, "PATCH", uid, body=b"56789", headers={"Upload-Offset": "5"})
    check_error(plain, 415)
    assert (await patch(jp_fetch, uid, 5, b"56789")).code == 204
    assert (folders / "inbox" / "ten.bin").read_bytes() == b"0123456789"
    check_error(await patch(jp_fetch, uid, 10, b"x"), 410)  # complete: takes nothing more
    assert (folders / "inbox" / "there.bin").read_bytes() == b"old"

    # Termination removes the partial file; the upload is gone.
    created = await create(jp_fetch, 8, repository="inbox", path="abandoned.bin")
    uid = upload_id(created)
    assert (await patch(jp_fetch, uid, 0, b"1234")).code == 204
    assert (await tus(jp_fetch, "DELETE", uid)).code == 204
    assert not [p for p in (folders / "inbox").iterdir() if "abandoned" in p.name]
    assert (await tus(jp_fetch, "HEAD", uid)).code == 410  # HEAD answers carry no body
    code, job = await call(jp_fetch, "GET", "jobs", uid)
    assert job["phase"] == "ABORTED", job
    assert (await tus(jp_fetch, "HEAD", "0" * 32)).code == 404
    check_error(await patch(jp_fetch, "0" * 32, 0, b"x"), 404)


async def test_a_whole_file_checksum_is_verified(jp_fetch, folders):
    data = b"hello, detector"
    wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    created = await create(jp_fetch, len(data), repository="inbox", path="checked.bin", checksum=f"sha256 {wrong}")
    uid = upload_id(created)
    check_error(await patch(jp_fetch, uid, 0, data), 460)
    assert not [p for p in (folders / "inbox").iterdir() if "checked" in p.name]
    right = base64.b64encode(hashlib.sha256(data).digest()).decode()
    created = await create(jp_fetch, len(data), repository="inbox", path="checked.bin", checksum=f"sha256 {right}")
    assert (await patch(jp_fetch, upload_id(created), 0, data)).code == 204
    assert (folders / "inbox" / "checked.bin").read_bytes() == data
    # The verified digest is the file's checksum: in the job's result, and a search finds it.
    code, job = await call(jp_fetch, "GET", "jobs", upload_id(created))
    assert job["results"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    code, found = await call(jp_fetch, "GET", "search", q=f"checksum:{hashlib.sha256(data).hexdigest()}")
    assert code == 200 and [(h["repository"], h["path"]) for h in found["hits"]] == [("inbox", "checked.bin")], found


async def test_a_crc32_chunk_checksum_is_verified(jp_fetch, folders):
    """CRC-32 (the client's default) as tus sends it: the 4 bytes big-endian, base64."""
    import zlib

    def crc32(data: bytes) -> str:
        return "crc32 " + base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()

    data = random_bytes(200_003, seed=9)
    created = await create(jp_fetch, len(data), repository="inbox", path="crc.bin")
    uid = upload_id(created)
    corrupted = bytes([data[0] ^ 1]) + data[1:100_000]
    check_error(await patch(jp_fetch, uid, 0, corrupted, crc32(data[:100_000])), 460)
    assert (await tus(jp_fetch, "HEAD", uid)).headers["Upload-Offset"] == "0"
    check_error(await patch(jp_fetch, uid, 0, data[:10], "crc32 " + base64.b64encode(b"12345").decode()), 400)
    assert (await patch(jp_fetch, uid, 0, data[:100_000], crc32(data[:100_000]))).code == 204
    assert (await patch(jp_fetch, uid, 100_000, data[100_000:], crc32(data[100_000:]))).code == 204
    assert (folders / "inbox" / "crc.bin").read_bytes() == data


async def test_the_last_patch_says_the_file_mtime_and_the_client_sends_empty_and_multi_chunk_files(
        jp_fetch, folders, jp_http_port, jp_base_url, jp_auth_header, tmp_path):
    """The answer to the PATCH that ends an upload carries the file's mtime in place (a working
    directory remembers it instead of asking for the job); only that one does.  The client's
    ``send`` ends an empty file's upload with one empty PATCH, and sends a file of several
    chunks (its checksums made ahead in another thread) intact."""
    data = random_bytes(1000, seed=3)
    uid = upload_id(await create(jp_fetch, len(data), repository="inbox", path="timed.bin"))
    first = await patch(jp_fetch, uid, 0, data[:400])
    assert first.code == 204 and "X-Remotem-Mtime" not in first.headers
    last = await patch(jp_fetch, uid, 400, data[400:])
    assert last.code == 204
    assert float(last.headers["X-Remotem-Mtime"]) == (folders / "inbox" / "timed.bin").stat().st_mtime

    import jupyter_remotem as remotem
    from jupyter_remotem.client import files

    empty, several = tmp_path / "empty.txt", tmp_path / "several.bin"
    empty.write_bytes(b"")
    several.write_bytes(random_bytes(3 * 1024**2 + 5, seed=4))
    token = jp_auth_header["Authorization"].split(" ", 1)[1]

    def send() -> tuple[files.Sent, files.Sent]:
        with remotem.connect(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token) as c:
            return (files.send(c, empty, "inbox", "sent/empty.txt"),
                    files.send(c, several, "inbox", "sent/several.bin", chunk_bytes=1024**2))

    sent_empty, sent_several = await asyncio.to_thread(send)
    placed = folders / "inbox" / "sent"
    assert (placed / "empty.txt").read_bytes() == b"" and sent_empty.mtime == (placed / "empty.txt").stat().st_mtime
    assert (placed / "several.bin").read_bytes() == several.read_bytes()
    assert sent_several.mtime == (placed / "several.bin").stat().st_mtime
    for sent in (sent_empty, sent_several):
        code, job = await call(jp_fetch, "GET", "jobs", sent.job)
        assert job["phase"] == "COMPLETED", job


async def test_options_describe_the_server(jp_fetch):
    response = await jp_fetch("remotem", "api", "uploads", method="OPTIONS", raise_error=False)
    assert response.code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) >= {"creation", "termination", "checksum"}
    assert int(response.headers["Tus-Max-Size"]) > 0
    assert response.headers["Tus-Checksum-Algorithm"].split(",") == ["crc32", "sha256", "sha1", "md5"]


class TestRemoteTargets:
    @pytest.fixture
    def jp_server_config(self, repositories, s3_endpoint, webdav_url):
        s3 = dict(s3_repository(s3_endpoint), writable=True)
        dav = dict(webdav_repository(webdav_url), writable=True)
        return server_config(repositories + [s3, dav])

    @pytest.mark.parametrize("repository", ["s3", "cloud"])
    async def test_tuspy_uploads_into_object_stores_and_webdav(self, jp_fetch, tus_url, jp_auth_header, repository,
                                                               s3_endpoint, webdav_url):
        data = random_bytes(3 * MiB + 5, seed=len(repository))
        path = f"uploads/{repository}-test.bin"
        await asyncio.to_thread(tuspy_upload, tus_url, jp_auth_header, data,
                                {"repository": repository, "path": path}, MiB)
        response = await jp_fetch("remotem", "api", "repositories", repository, "tree", "uploads")
        names = [entry["name"] for entry in json.loads(response.body)["entries"]]
        assert f"{repository}-test.bin" in names and not [n for n in names if "remotem-upload" in n], names
        if repository == "s3":
            import s3fs

            fs = s3fs.S3FileSystem(key="testing", secret=S3_SECRET, endpoint_url=s3_endpoint)
            stored = fs.cat_file(f"scans/lab1/{path}")
        else:
            import requests

            from _services import WEBDAV_PASSWORD, WEBDAV_USER

            stored = requests.get(f"{webdav_url}/group/{path}", auth=(WEBDAV_USER, WEBDAV_PASSWORD), timeout=30).content
        assert stored == data


def test_an_upload_resumes_after_the_server_is_killed(tmp_path):
    """kill -9 of the server mid-upload; a new server (same job store) takes the rest."""
    import os
    import signal

    from _processes import start_server, stop_group, stop_workers

    home = tmp_path / "home"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = {"ServerApp": {"jpserver_extensions": {"jupyter_remotem": True}},
              "RemotemApp": {"repositories": [{"name": "inbox", "url": str(inbox), "writable": True}],
                             "generate_demo_data": False, "start_worker": False, "warm_up_kernels": False}}
    data = random_bytes(4 * MiB + 7, seed=9)
    meta = {"repository": "inbox", "path": "after-restart.bin"}
    first = start_server(home, config)
    try:
        headers = {"Authorization": f"token {first.token}"}
        partly = tuspy_upload(f"{first.url}remotem/api/uploads", headers, data, meta, MiB, stop_at=3 * MiB)
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=30)
    finally:
        stop_group(first.process)
    second = start_server(home, config)
    try:
        resumed_url = partly.url.replace(first.url, second.url)
        code, job = second.request("GET", f"remotem/api/jobs/{resumed_url.rsplit('/', 1)[-1]}")
        assert code == 200 and job["phase"] == "HELD" and job["progress"]["done"] == 3 * MiB, job
        headers = {"Authorization": f"token {second.token}"}
        resumed = tuspy_upload(f"{second.url}remotem/api/uploads", headers, data, meta, MiB, resume_url=resumed_url)
        assert resumed.offset == len(data)
        assert (inbox / "after-restart.bin").read_bytes() == data
        code, job = second.request("GET", f"remotem/api/jobs/{resumed_url.rsplit('/', 1)[-1]}")
        assert code == 200 and job["phase"] == "COMPLETED", job
    finally:
        stop_group(second.process)
        stop_workers(home / "data")


async def test_an_upload_job_is_cancelled_and_expired_like_a_job_but_not_paused(jp_fetch, folders, jp_serverapp):
    """Cancel removes its partial file; pause and resume belong to the client; housekeeping ends
    uploads left unfinished past upload_expiry_days."""
    from jupyter_remotem.jobs.housekeeping import tick

    created = await create(jp_fetch, 10, repository="inbox", path="cancelled.bin")
    uid = upload_id(created)
    assert (await patch(jp_fetch, uid, 0, b"12345")).code == 204
    for action in ("pause", "resume"):
        code, answer = await call(jp_fetch, "POST", "jobs", uid, action)
        check_error(type("R", (), {"code": code, "body": json.dumps(answer).encode()}), 409)
    code, job = await call(jp_fetch, "POST", "jobs", uid, "cancel")
    assert code == 200 and job["phase"] == "ABORTED", job
    assert not [p for p in (folders / "inbox").iterdir() if "cancelled" in p.name]

    created = await create(jp_fetch, 10, repository="inbox", path="forgotten.bin")
    uid = upload_id(created)
    assert (await patch(jp_fetch, uid, 0, b"123")).code == 204
    services = jp_serverapp.web_app.settings["remotem"]
    services.upload_expiry_s = 0.0  # as if upload_expiry_days had passed
    await asyncio.to_thread(tick, services, jp_serverapp.web_app.settings)
    code, job = await call(jp_fetch, "GET", "jobs", uid)
    assert job["phase"] == "ABORTED" and job["error"]["code"] == "expired", job
    assert not [p for p in (folders / "inbox").iterdir() if "forgotten" in p.name]
    assert (await patch(jp_fetch, uid, 3, b"4")).code == 410


@pytest.mark.parametrize("followed", [True, False])
async def test_the_whole_file_digest_is_followed_or_read_once(jp_fetch, folders, followed):
    """The server follows the whole file's digest as chunks arrive; when it lost track (a
    restart), it reads the file once at the end — the verdict is the same either way."""
    from jupyter_remotem.handlers.uploads import DIGESTS

    data = random_bytes(300_000, seed=4)
    for checksum, expected in ((hashlib.sha256(data).digest(), 204), (hashlib.sha256(b"other").digest(), 460)):
        name = f"followed-{followed}-{expected}.bin"
        created = await create(jp_fetch, len(data), repository="inbox", path=name,
                               checksum="sha256 " + base64.b64encode(checksum).decode())
        uid = upload_id(created)
        assert (await patch(jp_fetch, uid, 0, data[:100_000])).code == 204
        if not followed:
            DIGESTS.take(uid, -1)  # as after a server restart
        last = await patch(jp_fetch, uid, 100_000, data[100_000:])
        assert last.code == expected, last.body
        assert (folders / "inbox" / name).exists() == (expected == 204)
