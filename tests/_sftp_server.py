"""A loopback SFTP server for the tests (asyncssh), chrooted to a directory.

``python tests/_sftp_server.py ROOT PORT USER PASSWORD KEY_USER AUTHORIZED_KEYS HOST_KEY``: ``USER`` logs
in with ``PASSWORD``, ``KEY_USER`` with a key listed in ``AUTHORIZED_KEYS``; the server proves who it
is with the private key in the file ``HOST_KEY`` (the tests compare its fingerprint).  Run as a subprocess so
that the Jupyter server under test talks to it over a real socket.
"""

from __future__ import annotations

import asyncio
import sys

import asyncssh


def main(root: str, port: int, user: str, password: str, key_user: str, authorized_keys: str,
         host_key: str) -> None:
    authorized = asyncssh.read_authorized_keys(authorized_keys)

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            print(f"auth {username}", flush=True)  # a client got as far as logging in (never what it sent)
            self._user = username
            if username == key_user:
                self._conn.set_authorized_keys(authorized)
            return True

        def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
            self._conn, self._user = conn, ""

        def connection_lost(self, exc: Exception | None) -> None:
            if self._user:
                print(f"end {self._user}", flush=True)  # that login's connection is closed

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, given: str) -> bool:
            return username == user and given == password

        def public_key_auth_supported(self) -> bool:
            return True

    async def serve() -> None:
        await asyncssh.listen("127.0.0.1", port, server_factory=Server,
                              server_host_keys=[host_key],
                              sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root),
                              allow_scp=False)
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:8])
