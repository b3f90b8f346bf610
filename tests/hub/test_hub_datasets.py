"""Datasets on a real JupyterHub, two users sharing one database: bob cannot tell alice's
dataset from one that does not exist until she shares it; a read grant lets him read, not edit;
a grant on a dataset in a repository of alice's group still shows him nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _scenario import PRIVATE_FILE

pytestmark = pytest.mark.hub

MISSING = "00000000-0000-0000-0000-000000000000"


def test_sharing_a_dataset_between_two_hub_users(hub):
    made = hub.user_api("alice", "POST", "datasets", {"repository": "demo", "path": "scan.npy", "name": "Alice's scan"})
    assert made.status_code == 201, made.text
    dataset = made.json()
    assert (dataset["owner"], dataset["role"], dataset["type"]) == ("alice", "owner", "4d-stem")
    hidden = hub.user_api("bob", "GET", f"datasets/{dataset['id']}")
    missing = hub.user_api("bob", "GET", f"datasets/{MISSING}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace(dataset["id"], MISSING) == missing.json()["error"]["message"]
    assert hub.user_api("bob", "GET", "datasets").json()["datasets"] == []

    shared = hub.user_api("alice", "PUT", f"datasets/{dataset['id']}/grants", {"grants": [{"user": "bob", "role": "read"}]})
    assert shared.status_code == 200 and shared.json()["grants"] == [{"user": "bob", "role": "read"}]
    seen = hub.user_api("bob", "GET", f"datasets/{dataset['id']}")
    assert seen.status_code == 200 and (seen.json()["role"], seen.json()["grants"]) == ("read", None)
    assert [d["id"] for d in hub.user_api("bob", "GET", "datasets").json()["datasets"]] == [dataset["id"]]
    edit = hub.user_api("bob", "PATCH", f"datasets/{dataset['id']}", {"name": "Bob's now"})
    assert edit.status_code == 403 and "alice" in edit.json()["error"]["hint"]
    grab = hub.user_api("bob", "PUT", f"datasets/{dataset['id']}/grants", {"grants": [{"user": "bob", "role": "write"}]})
    assert grab.status_code == 403

    private = hub.user_api("alice", "POST", "datasets", {"repository": "private", "path": PRIVATE_FILE, "name": "Beam"})
    assert private.status_code == 201, private.text
    hub.user_api("alice", "PUT", f"datasets/{private.json()['id']}/grants", {"grants": [{"user": "bob", "role": "read"}]})
    assert hub.user_api("bob", "GET", f"datasets/{private.json()['id']}").status_code == 404
    assert PRIVATE_FILE not in hub.user_api("bob", "GET", "datasets").text


def test_the_remotem_command_clones_through_the_hubs_proxy(hub, demo_dir, tmp_path):
    made = hub.user_api("alice", "POST", "datasets", {"repository": "demo", "path": "scan.raw.json",
                                                      "name": "Sidecar"})
    assert made.status_code == 201, made.text
    token = hub.user_api("alice", "POST", "tokens", {"name": "laptop", "scopes": ["read"]})
    assert token.status_code == 201, token.text
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("REMOTEM_URL", None), env.pop("REMOTEM_TOKEN", None)

    def remotem(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(Path(sys.executable).parent / "remotem"), *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    remotem("login", f"{hub.url}user/alice/", "--token", token.json()["token"])
    assert made.json()["id"] in remotem("ls", "--mine").stdout
    remotem("clone", made.json()["id"], "sidecar")
    assert (tmp_path / "sidecar" / "scan.raw.json").read_bytes() == (demo_dir / "scan.raw.json").read_bytes()
    assert "nothing to push or pull" in remotem("status", "sidecar").stdout
