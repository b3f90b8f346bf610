"""Group visibility of repositories comes from the hub: alice's group may read ``private``, bob's may not."""

from __future__ import annotations

import pytest
from _scenario import PRIVATE_FILE

pytestmark = pytest.mark.hub


def repository_names(hub, user: str) -> list[str]:
    response = hub.user_api(user, "GET", "repositories")
    assert response.status_code == 200, response.text
    return [repository["name"] for repository in response.json()["repositories"]]


def test_a_member_of_the_group_sees_the_group_repository(hub):
    assert repository_names(hub, "alice") == ["demo", "private", "notebooks"]
    response = hub.user_api("alice", "GET", "repositories/private/tree/")
    assert response.status_code == 200, response.text
    assert [entry["name"] for entry in response.json()["entries"]] == [PRIVATE_FILE]
    meta = hub.user_api("alice", "GET", f"repositories/private/meta/{PRIVATE_FILE}")
    assert meta.status_code == 200, meta.text
    assert meta.json()["dataset"]["shape"] == [4, 5, 8, 8]


def test_others_do_not_see_it(hub):
    assert repository_names(hub, "bob") == ["demo", "notebooks"]


@pytest.mark.parametrize("resource", ["tree/", f"meta/{PRIVATE_FILE}", f"data/{PRIVATE_FILE}?slice=0"])
def test_a_repository_of_another_group_answers_exactly_like_a_missing_one(hub, resource):
    hidden = hub.user_api("bob", "GET", f"repositories/private/{resource}")
    missing = hub.user_api("bob", "GET", f"repositories/nosuch/{resource}")
    assert hidden.status_code == missing.status_code == 404, (hidden.text, missing.text)
    assert hidden.headers["Content-Type"].startswith("application/json")
    assert hidden.text.replace("private", "nosuch") == missing.text
    assert PRIVATE_FILE not in hidden.text
