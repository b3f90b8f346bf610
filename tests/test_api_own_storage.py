"""Users' own storages through the REST API, on a moto server whose IAM is enforced and on wsgidav.

Two people share one server and its database, as two hub users share the hub's database: each
adds their own bucket with their own keys, neither sees the other's storage, neither's keys open
the other's bucket, and the secrets appear in no answer, no log and no table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _api import api_path, server_config, stop_started_worker, wait_until
from _iam_s3 import BUCKETS, iam_s3_server
from _services import WEBDAV_PASSWORD, WEBDAV_USER
from jupyter_server.auth import IdentityProvider, User
from sqlalchemy import inspect, text

WRONG_SECRET = "wrong-secret-0f9d2c77"


class HubLikeIdentity(IdentityProvider):
    """Jupyter's token login, then the person the ``X-Test-User`` header names, shaped as the hub's
    user model names them (``owner_of`` reads it): several people on one server and database."""

    async def get_user(self, handler: Any) -> User | None:
        user = await self._get_user(handler)
        name = handler.request.headers.get("X-Test-User")
        if user is None or not name:
            return user
        person = User(username=name, name=name)
        person.hub_user = {"name": name, "groups": []}  # type: ignore[attr-defined]
        return person


@pytest.fixture(scope="module")
def iam_s3(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Iterator[dict[str, Any]]:
    with iam_s3_server(tmp_path_factory.mktemp("moto-iam"), demo_dir) as server:
        yield server


@pytest.fixture
def repositories(repositories, results_dir):
    return repositories + [{"name": "results", "url": str(results_dir), "writable": True}]


@pytest.fixture
def jp_server_config(repositories):
    config = server_config(repositories, start_worker=True)
    config["ServerApp"]["identity_provider_class"] = HubLikeIdentity
    return config


@pytest.fixture(autouse=True)
def stop_worker(jp_serverapp):
    yield
    stop_started_worker(jp_serverapp)


@pytest.fixture
def server_log(jp_serverapp) -> Iterator[list[str]]:
    """Every record the server process logs while the test runs (any logger, any level)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    keep = Keep(logging.DEBUG)
    keep.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(), jp_serverapp.log, logging.getLogger("tornado.access")]
    for logger in loggers:
        logger.addHandler(keep)
    yield lines
    for logger in loggers:
        logger.removeHandler(keep)


class Caller:
    """One person's API calls; every answer is kept, to be searched for secrets."""

    answers: list[str] = []

    def __init__(self, jp_fetch: Any, name: str) -> None:
        self.jp_fetch = jp_fetch
        self.name = name

    async def __call__(self, method: str, *parts: str, body: Any = None, headers: dict | None = None,
                       **params: Any) -> tuple[int, Any]:
        response = await self.jp_fetch(
            *api_path(*parts), method=method, body=None if body is None else json.dumps(body),
            params={k: str(v) for k, v in params.items()}, raise_error=False, allow_nonstandard_methods=True,
            headers={"X-Test-User": self.name, **(headers or {})})
        raw = response.body or b""
        Caller.answers.append(f"{method} {'/'.join(parts)} {response.code} {dict(response.headers)} "
                              f"{raw.decode('utf-8', 'replace')}")
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return response.code, (json.loads(raw) if raw and is_json else raw)


def s3_body(iam_s3: dict, owner: str, name: str | None = None, bucket: str | None = None,
            secret: str | None = None) -> dict[str, Any]:
    keys = iam_s3["keys"][owner]
    return {"name": name or f"{owner}-data", "protocol": "s3", "url": f"s3://{bucket or BUCKETS[owner]}/lab",
            "options": {"endpoint_url": iam_s3["endpoint"]},
            "secrets": {"key": keys["key"], "secret": secret or keys["secret"]}}


def every_table(jp_serverapp) -> str:
    """All rows of all tables of the job store, as text."""
    engine = jp_serverapp.web_app.settings["remotem"].jobs.engine
    with engine.connect() as connection:
        return "\n".join(repr(tuple(row)) for table in inspect(connection).get_table_names()
                         for row in connection.execute(text(f'SELECT * FROM "{table}"')))


async def test_each_user_adds_their_own_bucket_and_sees_only_their_own(jp_fetch, jp_serverapp, iam_s3, server_log,
                                                                        results_dir, demo_dir):
    alice, bob = Caller(jp_fetch, "alice"), Caller(jp_fetch, "bob")
    secrets = [keys["secret"] for keys in iam_s3["keys"].values()] + [WRONG_SECRET]

    # A wrong key fails the connection test with the backend's reason, and nothing is saved.
    code, refused = await alice("POST", "storage", body=s3_body(iam_s3, "alice", secret=WRONG_SECRET))
    assert code == 422 and refused["error"]["code"] == "connection_failed", refused
    assert "alice-data" in refused["error"]["message"] and "signature" in refused["error"]["message"]
    # Keys that are valid but not for that bucket fail it too (IAM refuses).
    code, refused = await bob("POST", "storage", body=s3_body(iam_s3, "bob", name="theirs", bucket=BUCKETS["alice"]))
    assert code == 422 and "Access Denied" in refused["error"]["message"], refused
    code, dry = await alice("POST", "storage", body=s3_body(iam_s3, "alice"), dry_run=1)
    assert code == 200 and dry["tested"] is True and dry["saved"] is False, dry
    assert (await alice("GET", "storage"))[1]["storages"] == []

    for person in (alice, bob):
        code, saved = await person("POST", "storage", body=s3_body(iam_s3, person.name))
        assert code == 201, saved
        assert saved["secrets_set"] == ["key", "secret"] and "secrets" not in saved
    code, clash = await alice("POST", "storage", body=s3_body(iam_s3, "alice", name="demo"))
    assert code == 409, clash

    for person, other in ((alice, bob), (bob, alice)):
        mine, theirs = f"{person.name}-data", f"{other.name}-data"
        listed = (await person("GET", "storage"))[1]["storages"]
        assert [s["name"] for s in listed] == [mine] and listed[0]["readable"] is True
        repositories = {r["name"]: r for r in (await person("GET", "repositories"))[1]["repositories"]}
        assert repositories[mine]["own"] is True and repositories[mine]["protocol"] == "s3"
        assert theirs not in repositories and "demo" in repositories
        code, tree = await person("GET", "repositories", mine, "tree", "")
        assert code == 200 and {e["name"] for e in tree["entries"]} == {"scan.npy", "scan.h5"}, tree
        for method, parts in (("GET", ("repositories", theirs, "tree", "")),
                              ("GET", ("repositories", theirs, "meta", "scan.npy")),
                              ("DELETE", ("storage", theirs))):
            code, answer = await person(method, *parts)
            assert code == 404, (person.name, method, parts, code, answer)

    # Browsing and previews of one's own bucket are those of the same file on local disk.
    meta = (await alice("GET", "repositories", "alice-data", "meta", "scan.npy"))[1]
    local = (await alice("GET", "repositories", "demo", "meta", "scan.npy"))[1]
    assert meta["dataset"]["shape"] == local["dataset"]["shape"]
    code, preview = await alice("GET", "repositories", "alice-data", "preview", "scan.npy", kind="bf", size=32)
    expected = (await alice("GET", "repositories", "demo", "preview", "scan.npy", kind="bf", size=32))[1]
    assert code == 200 and preview == expected

    # A job reads the owner's bucket through the worker, which gets the keys privately.
    job_body = {"repository": "alice-data", "path": "scan.h5", "operation": "virtual_detector",
                "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 9}]},
                "output": {"repository": "results", "path": "bf.h5", "format": "hdf5"}}
    code, job = await alice("POST", "jobs", body=job_body)
    assert code == 201, job
    code, refused_job = await bob("POST", "jobs", body=dict(job_body, output={**job_body["output"], "path": "b.h5"}))
    assert code == 404, refused_job
    copy = {"operation": "copy", "source": {"repository": "alice-data", "path": "scan.npy"},
            "target": {"repository": "results", "path": "copied/scan.npy"}}
    code, copy_job = await alice("POST", "jobs", body=copy)
    assert code == 201, copy_job

    async def ended(job_id: str) -> Any:
        current = (await alice("GET", "jobs", job_id))[1]
        return current if current["phase"] in ("COMPLETED", "ERROR", "ABORTED") else None

    for submitted in (job, copy_job):
        done = await wait_until(lambda: ended(submitted["id"]), f"job {submitted['id']}", timeout=120)
        assert done["phase"] == "COMPLETED", done
    assert (results_dir / "copied" / "scan.npy").read_bytes() == (demo_dir / "scan.npy").read_bytes()
    interactive = (await alice("POST", "reductions", body={k: v for k, v in job_body.items() if k != "output"}))[1]
    import h5py

    with h5py.File(results_dir / "bf.h5") as f:
        arrays = []
        f.visititems(lambda _, item: arrays.append(np.asarray(item)) if isinstance(item, h5py.Dataset) else None)
    assert any(np.array_equal(a, np.array(interactive["arrays"]["intensity"]["data"])) for a in arrays)

    # Removing a storage forgets it; the bucket's files stay.
    assert (await bob("DELETE", "storage", "bob-data"))[0] == 204
    assert (await bob("GET", "repositories", "bob-data", "tree", ""))[0] == 404

    # No secret anywhere: answers, the server's log, the worker's log, every table, the result files.
    services = jp_serverapp.web_app.settings["remotem"]
    places = {
        "answers": "\n".join(Caller.answers),
        "server log": "\n".join(server_log),
        "worker log": services.supervisor.log_path.read_text(errors="replace"),
        "job store": every_table(jp_serverapp),
        "results": "\n".join(p.read_bytes().decode("latin-1") for p in results_dir.rglob("*") if p.is_file()),
    }
    assert "alice-data" in places["job store"] and "s3://alice-scans/lab" in places["job store"]
    print({k: (len(v), v[:300]) for k, v in places.items()})
    for where, what in places.items():
        for secret in secrets:
            assert secret not in what, f"a secret in the {where}"


async def test_a_personal_token_needs_the_storage_scope(jp_fetch, jp_serverapp, iam_s3):
    services = jp_serverapp.web_app.settings["remotem"]
    _, reader = services.tokens.create(services.server_owner, "reader", [], scopes=["read"])
    _, keeper = services.tokens.create(services.server_owner, "keeper", [], scopes=["storage"])
    owner = Caller(jp_fetch, services.server_owner)
    for method, body in (("GET", None), ("POST", s3_body(iam_s3, "alice"))):
        code, refused = await owner(method, "storage", body=body, headers={"Authorization": f"token {reader}"})
        assert code == 403 and refused["error"]["details"]["missing_scope"] == "storage", refused
    code, saved = await owner("POST", "storage", body=s3_body(iam_s3, "alice"),
                              headers={"Authorization": f"token {keeper}"})
    assert code == 201, saved
    code, listed = await owner("GET", "storage", headers={"Authorization": f"token {keeper}"})
    assert [s["name"] for s in listed["storages"]] == ["alice-data"]
    code, tree = await owner("GET", "repositories", "alice-data", "tree", "", headers={"Authorization": f"token {reader}"})
    assert code == 200, tree


async def test_bad_bodies_answer_400_and_save_nothing(jp_fetch, iam_s3):
    alice = Caller(jp_fetch, "alice")
    for body in ({"name": "x", "protocol": "s3", "url": "s3://b", "colour": "red"},
                 {"name": "x", "protocol": "file", "url": "file:///etc"},
                 {"name": "x", "protocol": "s3", "url": "s3://b", "options": {"proxy": "y"}},
                 [1, 2]):
        code, refused = await alice("POST", "storage", body=body)
        assert code == 400 and {"code", "message", "hint"} <= set(refused["error"]), (body, refused)
    protocols = (await alice("GET", "storage", "protocols"))[1]["protocols"]
    assert {p["name"] for p in protocols} == {"s3", "webdav", "sftp"}
    assert (await alice("GET", "storage"))[1]["storages"] == []


async def test_a_storage_may_not_point_at_the_clouds_metadata_service(jp_fetch, server_log):
    """A user's "endpoint" is a request the server makes: link-local addresses are refused before any
    connection (403 host_not_allowed), for the connection test and the save alike, and nothing is kept."""
    alice = Caller(jp_fetch, "alice")
    body = {"name": "meta", "protocol": "s3", "url": "s3://latest",
            "options": {"endpoint_url": "http://169.254.169.254"}, "secrets": {"key": "k", "secret": WRONG_SECRET}}
    for params in ({"dry_run": 1}, {}):
        code, refused = await alice("POST", "storage", body=body, **params)
        assert code == 403 and refused["error"]["code"] == "host_not_allowed", refused
        assert refused["error"]["hint"] and WRONG_SECRET not in json.dumps(refused)
    assert (await alice("GET", "storage"))[1]["storages"] == []
    assert not any("169.254.169.254" in line and "botocore" in line for line in server_log)


async def test_webdav_with_a_user_and_password(jp_fetch, webdav_url):
    alice = Caller(jp_fetch, "alice")
    body = {"name": "cloud-mine", "protocol": "webdav", "url": "webdav://group",
            "options": {"base_url": webdav_url, "username": WEBDAV_USER}, "secrets": {"password": WRONG_SECRET}}
    code, refused = await alice("POST", "storage", body=body)
    assert code == 422 and WRONG_SECRET not in json.dumps(refused), refused
    code, saved = await alice("POST", "storage", body=dict(body, secrets={"password": WEBDAV_PASSWORD}))
    assert code == 201 and WEBDAV_PASSWORD not in json.dumps(saved), saved
    code, tree = await alice("GET", "repositories", "cloud-mine", "tree", "")
    assert code == 200 and "scan.h5" in {e["name"] for e in tree["entries"]}, tree
    assert (await Caller(jp_fetch, "bob")("GET", "repositories", "cloud-mine", "tree", ""))[0] == 404
    code, meta = await alice("GET", "repositories", "cloud-mine", "meta", "scan.npy")
    assert code == 200 and meta["dataset"]["shape"]
    assert not any(WEBDAV_PASSWORD in answer for answer in Caller.answers)
