"""Personal API tokens: made once, shown once, open this API only, and revocable at any time."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from _api import call, server_config
from _client import in_thread, kernel_env, scan  # noqa: F401 - fixtures

import jupyter_remotem as remotem
from jupyter_remotem.client import Unauthorized
from jupyter_remotem.jobs.models import ApiToken


@pytest.fixture
def jp_server_config(repositories, tmp_path):
    (tmp_path / "out").mkdir()
    return server_config(repositories + [{"name": "out", "url": str(tmp_path / "out"), "writable": True}],
                         owner="ada", user_groups=["microscopy"])


@pytest.fixture
def with_token(http_server_client, jp_base_url):
    """Requests that carry only a personal token (no Jupyter token, no cookie, no XSRF)."""

    async def fetch(secret, path, method="GET", body=None, prefix="remotem/api/"):
        return await http_server_client.fetch(
            f"{jp_base_url}{prefix}{path}", method=method, raise_error=False,
            headers={"Authorization": f"token {secret}"},
            body=json.dumps(body) if body is not None else (None if method == "GET" else b""),
            allow_nonstandard_methods=True)

    return fetch


async def make(jp_fetch, **body):
    code, token = await call(jp_fetch, "POST", "tokens", body=body)
    assert code == 201, token
    return token


async def test_a_token_is_shown_once_and_opens_the_api_as_its_owner(jp_fetch, with_token):
    token = await make(jp_fetch, name="laptop", expires_in_days=30)
    secret = token["token"]
    assert secret.startswith("rmt_") and token["name"] == "laptop" and token["owner"] == "ada"
    assert token["groups"] == ["microscopy"]
    code, listed = await call(jp_fetch, "GET", "tokens")
    [entry] = listed["tokens"]
    assert entry["id"] == token["id"] and "token" not in entry and "digest" not in entry
    assert secret not in json.dumps(listed), "the secret is never answered again"

    response = await with_token(secret, "repositories")
    assert response.code == 200
    names = [r["name"] for r in json.loads(response.body)["repositories"]]
    assert "private" in names, "the token reads with its owner's groups"
    job = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
           "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]},
           "output": {"repository": "out", "path": "bf.h5"}}
    response = await with_token(secret, "jobs", method="POST", body=job)
    assert response.code == 201, response.body[:300]
    assert json.loads(response.body)["owner"] == "ada"
    code, jobs = await call(jp_fetch, "GET", "jobs")
    assert [j["id"] for j in jobs["jobs"]] == [json.loads(response.body)["id"]], "the owner sees the token's job"
    code, listed = await call(jp_fetch, "GET", "tokens")
    assert listed["tokens"][0]["last_used"] is not None


async def test_a_token_opens_nothing_but_this_api(jp_fetch, with_token):
    secret = (await make(jp_fetch, name="scoped"))["token"]
    for path in ("api/contents", "api/kernels", "api/sessions"):
        response = await with_token(secret, path, prefix="")
        assert response.code == 403, (path, response.code)
    response = await with_token(secret, "tokens", method="POST", body={"name": "another"})
    assert response.code == 403 and "cannot make or revoke" in json.loads(response.body)["error"]["message"]


async def test_revoked_expired_and_mistyped_tokens_are_refused(jp_fetch, jp_serverapp, with_token):
    token = await make(jp_fetch, name="short-lived")
    assert (await with_token(token["token"], "repositories")).code == 200
    code, _ = await call(jp_fetch, "DELETE", "tokens", token["id"])
    assert code == 204
    refused = await with_token(token["token"], "repositories")
    assert refused.code == 401
    error = json.loads(refused.body)["error"]
    assert "revoked" in error["message"] and error["hint"]
    assert token["token"] not in refused.body.decode()

    expiring = await make(jp_fetch, name="expiring", expires_in_days=1)
    store = jp_serverapp.web_app.settings["remotem"].tokens
    with store._sessions() as session, session.begin():
        record = session.get(ApiToken, expiring["id"])
        record.expires = record.created - timedelta(seconds=1)
    assert (await with_token(expiring["token"], "repositories")).code == 401
    assert (await with_token("rmt_" + "x" * 43, "repositories")).code == 401
    code, error = await call(jp_fetch, "DELETE", "tokens", token["id"])
    assert code == 404, "gone already"


@pytest.mark.parametrize("body, fragment", [
    ({}, "needs a 'name'"),
    ({"name": "  "}, "needs a 'name'"),
    ({"name": "x", "expires_in_days": 0}, "between 0 and 3650"),
    ({"name": "x", "expires_in_days": "soon"}, "between 0 and 3650"),
    ({"name": "x", "scope": "all"}, "The body must be"),
])
async def test_bad_token_requests_are_400(jp_fetch, body, fragment):
    code, error = await call(jp_fetch, "POST", "tokens", body=body)
    assert code == 400 and fragment in error["error"]["message"], error


async def test_the_notebook_client_connects_from_elsewhere_with_a_personal_token(jp_fetch, kernel_env, scan):
    secret = (await make(jp_fetch, name="laptop"))["token"]
    remote = await in_thread(remotem.connect, kernel_env["REMOTEM_SERVER_URL"], secret)
    try:
        ds = await in_thread(remote.open, "demo", "scan.npy")
        np.testing.assert_array_equal(await in_thread(ds.__getitem__, (3, 4)), scan[3, 4])
    finally:
        remote.close()
    with pytest.raises(Unauthorized):
        await in_thread(remotem.connect, kernel_env["REMOTEM_SERVER_URL"], "rmt_not-a-token")


async def test_a_token_does_only_what_its_scopes_allow(jp_fetch, with_token):
    code, served = await call(jp_fetch, "GET", "tokens", "scopes")
    assert [scope["name"] for scope in served["scopes"]] == ["read", "write", "jobs", "datasets:admin", "storage", "admin"]
    reader = (await make(jp_fetch, name="reader", scopes=["read"]))["token"]
    admin = (await make(jp_fetch, name="ingest", scopes=["datasets:admin", "read"]))["token"]
    code, listed = await call(jp_fetch, "GET", "tokens")
    assert {t["name"]: t["scopes"] for t in listed["tokens"]} == {"reader": ["read"],
                                                                  "ingest": ["read", "datasets:admin"]}
    assert (await with_token(reader, "repositories")).code == 200
    job = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
           "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]},
           "output": {"repository": "out", "path": "bf.h5"}}
    refusals = [(reader, "jobs", "POST", job, "jobs"),
                (reader, "repositories/out/tree/new", "PUT", {"type": "directory"}, "write"),
                (reader, "datasets", "POST", {"repository": "demo", "path": "scan.h5", "name": "x"}, "datasets:admin"),
                (admin, "jobs", "POST", job, "jobs")]
    for secret, path, method, body, scope in refusals:
        response = await with_token(secret, path, method=method, body=body)
        error = json.loads(response.body)["error"]
        assert response.code == 403 and error["details"]["missing_scope"] == scope, (path, error)
        assert f"'{scope}' scope" in error["message"] and secret not in response.body.decode()
    made = await with_token(admin, "datasets", method="POST", body={"repository": "demo", "path": "scan.h5",
                                                                    "name": "Scan"})
    assert made.code == 201, made.body
    code, bad = await call(jp_fetch, "POST", "tokens", body={"name": "x", "scopes": ["root"]})
    assert code == 400 and "'scopes'" in bad["error"]["message"]
    code, bad = await call(jp_fetch, "POST", "tokens", body={"name": "x", "scopes": []})
    assert code == 400
