"""Where ``remotem login`` keeps the server and the token: the user's config folder, the token
in a file only its owner may read.  ``REMOTEM_URL`` and ``REMOTEM_TOKEN`` override both."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "remotem"


@dataclass(frozen=True)
class Login:
    url: str
    token: str


class NotLoggedIn(Exception):
    pass


def save(login: Login) -> Path:
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "config.json").write_text(json.dumps({"url": login.url}))
    token_file = folder / "token"
    descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(login.token)
    os.chmod(token_file, 0o600)  # also when it existed with wider rights
    return folder


def load() -> Login:
    url, token = os.environ.get("REMOTEM_URL"), os.environ.get("REMOTEM_TOKEN")
    folder = config_dir()
    if not url and (folder / "config.json").exists():
        url = json.loads((folder / "config.json").read_text()).get("url")
    if not token and (folder / "token").exists():
        token = (folder / "token").read_text().strip()
    if not url or not token:
        raise NotLoggedIn("Not logged in: run 'remotem login URL --token TOKEN' "
                          "(or set REMOTEM_URL and REMOTEM_TOKEN).")
    return Login(url, token)
