"""Through the hub's proxy a user's server answers its owner only: no token, a wrong token, another
user's token and a service without access are all refused, and nothing about the data leaks."""

from __future__ import annotations

import pytest
from _scenario import PRIVATE_FILE

pytestmark = pytest.mark.hub

REPOSITORY_DATA = ("demo", "private", "notebooks", PRIVATE_FILE, "scan.h5")


def credentials(hub) -> dict[str, str | None]:
    return {"no token": None, "a made-up token": "0123456789abcdef0123456789abcdef",
            "bob's token": hub.tokens["bob"], "the admin service's token": hub.service_token}


@pytest.mark.parametrize("path", ["repositories", "repositories/private/tree/", "jobs"])
def test_api_requests_without_alices_credentials_are_refused_with_json(hub, path):
    for who, token in credentials(hub).items():
        response = hub.request("GET", f"user/alice/remotem/api/{path}", token)
        assert response.status_code == 403, (who, response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json"), who
        assert response.json()["error"]["code"] == "forbidden", who
        assert not [word for word in REPOSITORY_DATA if word in response.text], (who, response.text)


def test_an_api_request_from_a_browser_without_a_session_is_refused_not_redirected(hub):
    response = hub.request("GET", "user/alice/remotem/api/repositories", headers={"Accept": "text/html"})
    assert response.status_code == 403, response.status_code
    assert not [word for word in REPOSITORY_DATA if word in response.text]


def test_a_browser_without_a_session_is_sent_to_the_hub_to_log_in(hub):
    response = hub.request("GET", "user/alice/lab", headers={"Accept": "text/html"})
    assert response.status_code == 302, response.status_code
    assert "/hub/api/oauth2/authorize" in response.headers["Location"], response.headers["Location"]
    assert not [word for word in REPOSITORY_DATA if word in response.text]


def test_a_personal_token_opens_its_owners_server_only(hub):
    made = hub.user_api("alice", "POST", "tokens", {"name": "alice's laptop", "expires_in_days": 1})
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    assert made.json()["owner"] == "alice" and "microscopy" in made.json()["groups"]
    response = hub.user_api("alice", "GET", "repositories", token=secret)
    assert response.status_code == 200, response.text
    assert "private" in [r["name"] for r in response.json()["repositories"]]
    # Bob's server shares the database, but alice's token is not a key to it.
    refused = hub.user_api("bob", "GET", "repositories", token=secret)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert [t["name"] for t in hub.user_api("bob", "GET", "tokens").json()["tokens"]] == []
    revoked = hub.user_api("alice", "DELETE", f"tokens/{made.json()['id']}")
    assert revoked.status_code == 204
    assert hub.user_api("alice", "GET", "repositories", token=secret).status_code == 401


def test_a_personal_token_follows_its_owners_groups_on_the_hub(hub):
    """Leaving a group closes its repository to the owner's tokens made before; rejoining opens it."""
    made = hub.user_api("alice", "POST", "tokens", {"name": "alice's pipeline", "expires_in_days": 1})
    assert made.status_code == 201, made.text
    secret, token_id = made.json()["token"], made.json()["id"]

    def visible() -> list[str]:
        response = hub.user_api("alice", "GET", "repositories", token=secret)
        assert response.status_code == 200, response.text
        return [repository["name"] for repository in response.json()["repositories"]]

    try:
        assert "private" in visible()
        left = hub.api("DELETE", "groups/microscopy/users", {"users": ["alice"]})
        assert left.status_code == 200, left.text
        assert "private" not in visible()
        gone = hub.user_api("alice", "GET", f"repositories/private/meta/{PRIVATE_FILE}", token=secret)
        assert gone.status_code == 404, gone.text
    finally:
        rejoined = hub.api("POST", "groups/microscopy/users", {"users": ["alice"]})
        assert rejoined.status_code == 200, rejoined.text
    assert "private" in visible()
    assert hub.user_api("alice", "DELETE", f"tokens/{token_id}").status_code == 204
