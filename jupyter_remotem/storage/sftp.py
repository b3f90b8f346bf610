"""SFTP storages: asyncssh's options, and whose server they may talk to.

A password or a key is sent to an SFTP server only once the server is trusted: its host key is the
one the user confirmed (the option ``host_key``, an OpenSSH public key line), or it is listed for
that host in the administrator's known_hosts file (``c.RemotemApp.user_storage_known_hosts``).
Before a storage is tested, :func:`check_host_key` asks the server for its key without logging in
(asyncssh's ``get_server_host_key``): an unknown key is answered with the key and its SHA256
fingerprint, for the user to compare with what the server's administrator says and send back as
``host_key``; a key other than the one given is refused.  Every connection then checks the key
again (asyncssh's ``known_hosts``): nothing is ever opened with host key checking off.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fsspec.utils import infer_storage_options

from ..errors import BadParameter, HostKeyMismatch, HostKeyUnknown, StorageUnavailable

#: How long asking a server for its host key may take (seconds).
HANDSHAKE_TIMEOUT_S = 10.0
#: How long opening a connection (TCP, key exchange, login) may take: a server that stops answering
#: is an error to report, not a request thread waiting for the system's TCP timeout.
CONNECT_TIMEOUT_S = 30.0
#: A known_hosts argument trusting no host: a storage without a key and without the administrator's file.
TRUST_NOBODY: tuple[list[Any], list[Any], list[Any]] = ([], [], [])


def public_key(line: Any) -> Any:
    """The ``asyncssh.SSHKey`` of an OpenSSH public key line (``ssh-ed25519 AAAA... comment``)."""
    import asyncssh  # noqa: PLC0415 - only needed by SFTP storages

    if not isinstance(line, str) or not line.strip():
        raise BadParameter("'options.host_key' must be the server's public key, a line like 'ssh-ed25519 AAAA...'.")
    try:
        return asyncssh.import_public_key(line.strip())
    except (asyncssh.KeyImportError, ValueError, TypeError):
        raise BadParameter("'options.host_key' is not an OpenSSH public key line ('ssh-ed25519 AAAA...').",
                           hint="Send back the 'host_key' the connection test answered, as it is.") from None


def key_line(key: Any) -> str:
    """``algorithm base64`` of a public key, without a comment: what ``host_key`` takes."""
    return " ".join(key.export_public_key("openssh").decode().split()[:2])


def fingerprint(key: Any) -> str:
    """``SHA256:...``, as ``ssh-keygen -lf`` and ``ssh`` show it."""
    return key.get_fingerprint("sha256")


def address(url: str, options: dict[str, Any]) -> tuple[str, int]:
    """(host, port) an SFTP URL names; ``options.port`` wins over the URL's."""
    parts = infer_storage_options(url)
    if not parts.get("host"):
        raise BadParameter("An SFTP URL names its server: 'sftp://host[:port]/path'.")
    port = options.get("port") if options.get("port") is not None else parts.get("port") or 22
    try:
        return str(parts["host"]), int(port)
    except (TypeError, ValueError):
        raise BadParameter("'options.port' must be a port number.") from None


def known_hosts(options: dict[str, Any], known_hosts_file: str) -> Any:
    """asyncssh's ``known_hosts`` for a storage: its confirmed key (whatever the host's name), else the
    administrator's file, else nothing trusted."""
    if options.get("host_key"):
        return ([public_key(options["host_key"])], [], [])
    return known_hosts_file or TRUST_NOBODY


def fsspec_options(options: dict[str, Any], secrets: dict[str, Any], known_hosts_file: str) -> dict[str, Any]:
    """asyncssh options (the ``sshfs`` fsspec backend).  A private key given as PEM text is imported in
    memory, so it never touches the disk; host and port come from the URL unless ``port`` is given.
    No agent and no client configuration of the server's own account take part."""
    import asyncssh  # noqa: PLC0415 - only needed by SFTP storages

    opened: dict[str, Any] = {"known_hosts": known_hosts(options, known_hosts_file), "agent_path": None,
                              "client_keys": [], "config": [], "connect_timeout": CONNECT_TIMEOUT_S}
    if options.get("username"):
        opened["username"] = str(options["username"])
    if options.get("port") is not None:
        try:
            opened["port"] = int(options["port"])
        except (TypeError, ValueError):
            raise BadParameter("'options.port' must be a port number.") from None
    if secrets.get("password"):
        opened["password"] = str(secrets["password"])
    if secrets.get("private_key"):
        try:
            key = asyncssh.import_private_key(str(secrets["private_key"]), secrets.get("passphrase") or None)
        except (asyncssh.KeyImportError, ValueError, TypeError):
            raise BadParameter("'secrets.private_key' is not a private key this server can read "
                               "(PEM or OpenSSH text; give 'passphrase' when it is encrypted).") from None
        opened["client_keys"] = [key]
    return opened


def _trusted_by_file(known_hosts_file: str, host: str, port: int) -> list[Any]:
    """The host keys the administrator's file lists for ``host:port`` (none when there is no file)."""
    import asyncssh  # noqa: PLC0415

    if not known_hosts_file:
        return []
    try:
        trusted = asyncssh.match_known_hosts(known_hosts_file, host, "", port)  # "": the address is the host's
    except (OSError, ValueError) as error:  # a missing or broken file trusts nobody; the rest still works
        raise StorageUnavailable(f"The administrator's known_hosts file could not be read ({type(error).__name__}).",
                                 hint="Confirm the server's key yourself: send it as 'options.host_key'.") from None
    return list(trusted[0])


async def _server_key(host: str, port: int, algorithms: list[str]) -> Any:
    """The host key the server shows in a handshake, asking for one of ``algorithms`` first (a
    server with several keys shows the kind trusted), then for any."""
    import asyncssh  # noqa: PLC0415

    for choice in ([algorithms, []] if algorithms else [[]]):
        try:
            return await asyncio.wait_for(
                asyncssh.get_server_host_key(host, port, server_host_key_algs=choice or (), config=[]),
                HANDSHAKE_TIMEOUT_S)
        except asyncssh.DisconnectError:  # no key of that kind (KeyExchangeFailed): ask for any
            if not choice:
                raise
    return None


def check_host_key(url: str, options: dict[str, Any], known_hosts_file: str) -> None:
    """Refuse (422) an SFTP server that is not trusted, before any credential is sent: the server is
    asked for its host key (a handshake, no login), compared with ``options.host_key`` or the
    administrator's file.  A server that does not answer is the connection test's to report (this returns)."""
    host, port = address(url, options)
    given = public_key(options["host_key"]) if options.get("host_key") else None
    listed = [] if given is not None else _trusted_by_file(known_hosts_file, host, port)
    expected = [given] if given is not None else listed
    algorithms = sorted({alg.decode() for key in expected for alg in key.sig_algorithms})
    try:
        server = asyncio.run(_server_key(host, port, algorithms))
    except Exception:  # noqa: BLE001 - unreachable, refused, timed out: the connection test says why
        return
    if server is None:
        return  # a key exchange without a host key (GSS): the connection's own check decides
    if any(key.public_data == server.public_data for key in expected):
        return
    shown = {"host_key": key_line(server), "fingerprint": fingerprint(server), "host": host, "port": port}
    if given is not None:
        raise HostKeyMismatch(
            f"The server {host}:{port} presents the host key {shown['fingerprint']}, not the one given "
            f"({fingerprint(given)}): nothing was sent to it.",
            hint="If its administrator changed the key, confirm the new one and send it as 'options.host_key'; "
                 "otherwise someone may be between you and the server.", **shown)
    if listed:
        raise HostKeyMismatch(
            f"The server {host}:{port} presents the host key {shown['fingerprint']}, not the one the "
            "administrator's known_hosts file lists for it: nothing was sent to it.",
            hint="Tell the administrator: the server's key changed, or someone is between this server and it.",
            **shown)
    raise HostKeyUnknown(
        f"The server {host}:{port} is not known yet: its host key has the fingerprint {shown['fingerprint']}. "
        "Nothing but a handshake was sent to it.",
        hint="Compare the fingerprint with the one the server's administrator gives (ssh-keygen -lf on the "
             "server's key), then send the same request with 'options.host_key' set to the 'host_key' answered.",
        **shown)
