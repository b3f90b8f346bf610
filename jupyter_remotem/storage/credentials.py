"""Secrets of the storages users add themselves, encrypted at rest with one key.

The key is the administrator's (``c.RemotemApp.credentials_key``: on a hub whose servers share one
database every server and worker needs the same one) or, when none is configured, one made once
for this user in their Jupyter data folder, readable by them only.  Only the secret fields of a
storage (keys, passwords) are encrypted; what is not secret (its URL, endpoint, user name) stays
readable in the database, so listing storages never needs the key.  A database copied elsewhere,
or read with another key, gives the secrets up to nobody: decrypting fails with a clear error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from ..errors import Conflict

#: The file holding the generated key, in the user's Jupyter data folder.
KEY_FILE = Path("remotem") / "credentials.key"


class CredentialsUnreadable(Conflict):
    """Stored secrets this server's key cannot decrypt (the key changed, or another server's)."""

    code = "credentials_unreadable"
    default_hint = ("The credentials key changed since this storage was added: remove it "
                    "(DELETE remotem/api/storage/{name}) and add it again, or restore the key.")


def key_file(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the generated key lives (``jupyter --data-dir``/remotem/credentials.key)."""
    if data_dir is None:
        from jupyter_core.paths import jupyter_data_dir

        data_dir = jupyter_data_dir()
    return Path(data_dir) / KEY_FILE


def load_or_make_key(path: Path) -> str:
    """The key in ``path``, made first (mode 0600, created exclusively so that two servers
    starting at once agree on one key) when there is none."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


class CredentialCipher:
    """Encrypts a storage's secret fields (a JSON object) into one opaque string, and back."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, TypeError, UnicodeError):
            # The message must not repeat the key; it only says what shape it needs.
            raise ValueError("credentials_key must be a Fernet key: 32 url-safe base64-encoded bytes "
                             "(make one with cryptography.fernet.Fernet.generate_key()).") from None
        #: Handed to the job worker through its private configuration file only.
        self.key = key

    def __repr__(self) -> str:
        return "CredentialCipher(key=[secret])"

    @classmethod
    def configured(cls, key: str = "", data_dir: str | os.PathLike[str] | None = None) -> CredentialCipher:
        """The administrator's key when given, else this user's generated one."""
        return cls(key.strip() or load_or_make_key(key_file(data_dir)))

    def encrypt(self, secrets: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, what: str) -> dict[str, Any]:
        """The secrets sealed in ``token``; :class:`CredentialsUnreadable` naming ``what`` when
        this key did not seal them."""
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError, UnicodeError):
            raise CredentialsUnreadable(f"The credentials of {what} cannot be read with this server's key.") from None
