"""Storages users add themselves: declared per protocol, checked, tested, kept encrypted, opened.

A user's storage is a repository like the configured ones (browse, preview, reduce, copy, jobs),
seen by its owner only: :meth:`OwnStorages.registry_for` puts it beside the configured
repositories of that owner, in the server (per request) and in the worker (per job), which both
read it from the job store's database and decrypt its secrets with the same key
(:mod:`.credentials`).  Its secrets never leave this module except as fsspec options: answers
say which secret fields are set, never their values, and a failed connection test reports the
backend's reason with every secret taken out.

Each protocol is declared once in :data:`PROTOCOLS`: the URL it takes, its options (not secret),
its secret fields, how they become fsspec's options, and what must hold before a secret is sent
(an SFTP server's host key, :mod:`.sftp`); the REST API's validation and ``GET storage/protocols``
come from it.  An administrator may allow further fsspec protocols
(``c.RemotemApp.user_storage_protocols``); those take any options and secrets, passed to fsspec
as they are.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..errors import BadParameter, Conflict, NotFound, RemotemError, StorageUnavailable
from ..jobs.models import utcnow
from .credentials import CredentialCipher, CredentialsUnreadable
from .hosts import HostPolicy, check_hosts
from .own_models import OwnStorage
from .registry import RepositoryRegistry
from .repository import Repository, RepositoryConfig

#: What a storage's name may be: it is a repository name, in URLs and job records.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Names that are paths of the API itself (``storage/protocols``).
RESERVED = frozenset({"protocols"})
BODY_KEYS = frozenset({"name", "protocol", "url", "options", "secrets", "description", "writable"})
#: Protocols never allowed, whatever the configuration: they reach the server's own disks or memory.
NEVER = frozenset({"file", "local", "memory", "dir", "cached", "filecache", "simplecache", "blockcache",
                   "reference"})


class ConnectionFailed(RemotemError):
    """The connection test (listing the storage's root with the given credentials) failed."""

    status, code = 422, "connection_failed"
    default_hint = "Check the URL, the endpoint and the credentials, then try again (?dry_run=1 only tests)."


@dataclass(frozen=True)
class Site:
    """What the administrator set for opening every user's storages, in the server and the worker alike."""

    #: An OpenSSH known_hosts file whose host keys every user's SFTP storages trust
    #: (``c.RemotemApp.user_storage_known_hosts``); empty: each storage trusts the key its user confirmed.
    known_hosts: str = ""
    #: Which hosts they may reach (:mod:`.hosts`).
    hosts: HostPolicy = field(default_factory=HostPolicy)

    def to_config(self) -> dict[str, Any]:
        """For the worker's private configuration file, which opens the same storages."""
        return {"known_hosts": self.known_hosts, "hosts": self.hosts.to_config()}

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None) -> Site:
        raw = raw or {}
        return cls(known_hosts=str(raw.get("known_hosts") or ""), hosts=HostPolicy.from_config(raw.get("hosts")))


@dataclass(frozen=True)
class Protocol:
    """One kind of storage a user may add: its fields and how they open it with fsspec."""

    name: str
    label: str
    #: How its URL starts (``s3://bucket/prefix``).
    schemes: tuple[str, ...]
    #: Options that are not secret: name -> JSON type ("string", "boolean").
    options: dict[str, str] = field(default_factory=dict)
    required_options: tuple[str, ...] = ()
    #: Secret fields (strings), encrypted at rest, never answered.
    secrets: tuple[str, ...] = ()
    #: (options, secrets, site) -> fsspec storage options; None: both merged as they are.
    to_fsspec: Callable[[dict[str, Any], dict[str, Any], Site], dict[str, Any]] | None = None
    #: (url, options, site) -> None, or a refusal: what must hold before any secret is sent (SFTP: the host key).
    preflight: Callable[[str, dict[str, Any], Site], None] | None = None
    example: dict[str, Any] = field(default_factory=dict)

    @property
    def open_ended(self) -> bool:
        """Allowed by the administrator without a declaration: any options and secrets."""
        return not self.options and not self.secrets

    def storage_options(self, options: dict[str, Any], secrets: dict[str, Any], site: Site) -> dict[str, Any]:
        if self.to_fsspec is not None:
            return self.to_fsspec(options, secrets, site)
        return {**options, **secrets}

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "url": [f"{scheme}://" for scheme in self.schemes],
                "options": dict(self.options), "required_options": list(self.required_options),
                "secrets": list(self.secrets), "open_ended": self.open_ended, "example": self.example}


def _s3(options: dict[str, Any], secrets: dict[str, Any], site: Site) -> dict[str, Any]:
    fsspec_options = {name: value for name, value in options.items() if name != "region_name"}
    if options.get("region_name"):
        fsspec_options["client_kwargs"] = {"region_name": options["region_name"]}
    return {**fsspec_options, **secrets}


def _webdav(options: dict[str, Any], secrets: dict[str, Any], site: Site) -> dict[str, Any]:
    fsspec_options: dict[str, Any] = {"base_url": options["base_url"]}
    if options.get("username") is not None or secrets.get("password") is not None:
        fsspec_options["auth"] = (str(options.get("username") or ""), str(secrets.get("password") or ""))
    return fsspec_options


def _sftp(options: dict[str, Any], secrets: dict[str, Any], site: Site) -> dict[str, Any]:
    from .sftp import fsspec_options  # noqa: PLC0415 - asyncssh is only needed by SFTP storages

    return fsspec_options(options, secrets, site.known_hosts)


def _sftp_host_key(url: str, options: dict[str, Any], site: Site) -> None:
    from .sftp import check_host_key  # noqa: PLC0415

    check_host_key(url, options, site.known_hosts)


PROTOCOLS: dict[str, Protocol] = {
    "s3": Protocol(
        "s3", "S3 (keys or a profile, any endpoint)", ("s3",),
        options={"endpoint_url": "string", "region_name": "string", "profile": "string", "anon": "boolean"},
        secrets=("key", "secret", "token"), to_fsspec=_s3,
        example={"name": "my-bucket", "protocol": "s3", "url": "s3://my-bucket/raw",
                 "options": {"endpoint_url": "https://s3.example.org"},
                 "secrets": {"key": "AKIA...", "secret": "..."}}),
    "webdav": Protocol(
        "webdav", "WebDAV / Nextcloud (user and app password)", ("webdav",),
        options={"base_url": "string", "username": "string"}, required_options=("base_url",),
        secrets=("password",), to_fsspec=_webdav,
        example={"name": "cloud", "protocol": "webdav", "url": "webdav://scans",
                 "options": {"base_url": "https://cloud.example.org/remote.php/dav/files/ada", "username": "ada"},
                 "secrets": {"password": "app-password"}}),
    "sftp": Protocol(
        "sftp", "SFTP (user with a password or a private key)", ("sftp",),
        options={"username": "string", "port": "string", "host_key": "string"}, required_options=("username",),
        secrets=("password", "private_key", "passphrase"), to_fsspec=_sftp, preflight=_sftp_host_key,
        example={"name": "lab-server", "protocol": "sftp", "url": "sftp://data.example.org:22/home/ada/scans",
                 "options": {"username": "ada", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA..."},
                 "secrets": {"password": "..."}}),
}


def protocols_allowed(names: Iterable[str] | None = None) -> dict[str, Protocol]:
    """The protocols named (the declared ones when None); a name without a declaration is open-ended,
    and local ones are never allowed."""
    if names is None:
        return dict(PROTOCOLS)
    return {name: PROTOCOLS.get(name) or Protocol(name, f"{name} (fsspec)", (name,))
            for name in names if name not in NEVER}


def redacted(text: str, secrets: Iterable[str]) -> str:
    """``text`` with the given secrets and anything shaped like one taken out (:mod:`..jobs.joblog`)."""
    from ..jobs.joblog import redact

    return redact(text, sorted((s for s in secrets if s), key=len, reverse=True))


def close_connection(fs: Any) -> None:
    """Close what a filesystem keeps open: sshfs holds its SSH connection until the object is
    collected, which a reference cycle delays indefinitely.  Others keep nothing worth closing."""
    if type(fs).__module__.startswith("sshfs.") and getattr(fs, "_client", None) is not None:
        fs.loop.call_soon_threadsafe(fs.client.close)


@dataclass(frozen=True)
class Checked:
    """A request to add a storage, validated: what is stored in clear, and its secrets."""

    name: str
    protocol: Protocol
    url: str
    options: dict[str, Any]
    secrets: dict[str, str]
    description: str
    writable: bool

    def config(self, site: Site | None = None) -> RepositoryConfig:
        return RepositoryConfig(name=self.name, url=self.url, description=self.description, writable=self.writable,
                                storage_options=self.protocol.storage_options(self.options, self.secrets,
                                                                              site or Site()))


class OwnRepository(Repository):
    """A repository one user added: it says so in its description (``"own": true``)."""

    def to_json(self) -> dict[str, Any]:
        return dict(super().to_json(), own=True)


class OwnRegistry(RepositoryRegistry):
    """The configured repositories and one owner's storages; an owner's storage whose secrets this
    key cannot decrypt answers that (409), not "no such repository"."""

    def __init__(self, repositories: Iterable[Repository], unreadable: dict[str, RemotemError]) -> None:
        super().__init__(repositories)
        self.unreadable = unreadable

    def get(self, name: str) -> Repository:
        if name in self.unreadable:
            raise self.unreadable[name]
        return super().get(name)


class OwnStorages:
    """The storages users added, in the job store's database (see module docstring)."""

    def __init__(self, store: Any, cipher: CredentialCipher, configured: Callable[[], Iterable[str]] = tuple,
                 protocols: Iterable[str] | None = None, site: Site | None = None) -> None:
        self.store = store
        self.cipher = cipher
        #: Names of the configured repositories, which a storage may not take.
        self.configured = configured
        #: What may be added (``c.RemotemApp.user_storage_protocols``); what was added opens whatever it is.
        self.protocols = protocols_allowed(protocols)
        self.site = site or Site()
        self._opened: dict[str, Repository] = {}
        self._lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------------
    def rows(self, owner: str) -> list[OwnStorage]:
        with self.store.reading() as session:
            return list(session.scalars(select(OwnStorage).where(OwnStorage.owner == owner)
                                        .order_by(OwnStorage.created, OwnStorage.name)))

    def list(self, owner: str) -> list[dict[str, Any]]:
        """The owner's storages as ``GET storage`` answers them: which secrets are set, never their values."""
        answer = []
        for row in self.rows(owner):
            try:
                self.cipher.decrypt(row.secrets, f"storage '{row.name}'")
                readable = True
            except CredentialsUnreadable:
                readable = False
            answer.append({"name": row.name, "protocol": row.protocol, "url": row.url, "options": dict(row.options),
                           "secrets_set": list(row.secret_fields), "description": row.description,
                           "writable": row.writable, "created": row.created.isoformat(), "readable": readable})
        return answer

    def registry_for(self, owner: str, configured: RepositoryRegistry) -> OwnRegistry:
        """``configured`` and the storages of ``owner`` (configured names win; none clash when added)."""
        repositories = list(configured.all())
        taken = {repo.name for repo in repositories}
        unreadable: dict[str, RemotemError] = {}
        for row in self.rows(owner) if owner else ():
            if row.name in taken:
                continue
            try:
                repositories.append(self._repository(row))
            except RemotemError as error:
                unreadable[row.name] = error
        return OwnRegistry(repositories, unreadable)

    def _repository(self, row: OwnStorage) -> Repository:
        with self._lock:
            opened = self._opened.get(row.id)
        if opened is not None:
            return opened
        check_hosts(self.site.hosts, row.url, dict(row.options))  # a name may point elsewhere by now
        secrets = self.cipher.decrypt(row.secrets, f"storage '{row.name}'")
        protocol = PROTOCOLS.get(row.protocol) or Protocol(row.protocol, row.protocol, (row.protocol,))
        # Opened here only, kept in ``_opened`` rather than fsspec's instance cache: forgetting the
        # storage closes its connection without closing another user's with the same options.
        options = {**protocol.storage_options(dict(row.options), secrets, self.site), "skip_instance_cache": True}
        config = RepositoryConfig(name=row.name, url=row.url, description=row.description, writable=row.writable,
                                  storage_options=options)
        try:
            repository = OwnRepository(config)
        except ValueError as error:
            raise BadParameter(redacted(str(error), secrets.values())) from None
        except Exception as error:  # noqa: BLE001 - a backend that connects at once (sshfs) fails in its own way
            reason = redacted(f"{type(error).__name__}: {error}", [str(v) for v in secrets.values()])[:500]
            raise StorageUnavailable(
                f"Storage '{row.name}' could not be opened: {reason}",
                hint="Try again later; if its server's host key changed, remove the storage and add it again "
                     "(the connection test shows the new key).") from None
        with self._lock:
            opened = self._opened.setdefault(row.id, repository)
        if opened is not repository:  # another request opened it meanwhile
            close_connection(repository.fs)
        return opened

    # -- changing ------------------------------------------------------------------------------
    def check(self, owner: str, body: Any) -> Checked:
        """The body of ``POST storage`` validated (400 naming what is wrong; 409 for a name in use)."""
        if not isinstance(body, dict):
            raise BadParameter("The body must be a JSON object.", hint=self._example_hint())
        unknown = set(body) - BODY_KEYS
        if unknown:
            raise BadParameter(f"Unknown field(s) {sorted(unknown)}; a storage takes {sorted(BODY_KEYS)}.",
                               hint=self._example_hint())
        name = body.get("name")
        if not isinstance(name, str) or not NAME.match(name) or name in RESERVED:
            raise BadParameter("'name' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit "
                               "(and not 'protocols').",
                               hint=self._example_hint())
        protocol_name = body.get("protocol")
        protocol = self.protocols.get(protocol_name) if isinstance(protocol_name, str) else None
        if protocol is None:
            raise BadParameter(f"'protocol' must be one of {sorted(self.protocols)}.",
                               hint="GET remotem/api/storage/protocols says what each takes.")
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(tuple(f"{s}://" for s in protocol.schemes)) \
                or len(url) > 2048 or "@" in url.split("://", 1)[1].split("/", 1)[0]:
            raise BadParameter(f"'url' must be a {protocol.name} URL starting with "
                               f"{' or '.join(s + '://' for s in protocol.schemes)}, without credentials in it.",
                               hint=f"For example {protocol.example.get('url', protocol.name + '://bucket/prefix')!r}; "
                                    "credentials go in 'secrets'.")
        options = self._fields(body.get("options"), "options", protocol)
        secrets = self._fields(body.get("secrets"), "secrets", protocol)
        for required in protocol.required_options:
            if required not in options:
                raise BadParameter(f"A {protocol.name} storage needs the option '{required}'.",
                                   hint=self._example_hint(protocol))
        description = body.get("description", "")
        if not isinstance(description, str) or len(description) > 1000:
            raise BadParameter("'description' must be a string of at most 1000 characters.")
        writable = body.get("writable", False)
        if not isinstance(writable, bool):
            raise BadParameter("'writable' must be true or false.")
        if name in set(self.configured()):
            raise Conflict(f"'{name}' is the name of a configured repository.", hint="Choose another name.")
        if any(row.name == name for row in self.rows(owner)):
            raise Conflict(f"You already have a storage named '{name}'.",
                           hint="Choose another name, or remove that one first (DELETE remotem/api/storage/{name}).")
        return Checked(name, protocol, url, options, secrets, description, writable)

    def _fields(self, raw: Any, what: str, protocol: Protocol) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise BadParameter(f"'{what}' must be a JSON object.", hint=self._example_hint(protocol))
        declared: dict[str, str] = (protocol.options if what == "options"
                                    else {name: "string" for name in protocol.secrets})
        checked: dict[str, Any] = {}
        for name, value in raw.items():
            kind = declared.get(name)
            if kind is None and not protocol.open_ended:
                raise BadParameter(f"Unknown {what[:-1]} '{name}' for {protocol.name}; it takes {sorted(declared)}.",
                                   hint=self._example_hint(protocol))
            if kind == "boolean" and not isinstance(value, bool):
                raise BadParameter(f"'{what}.{name}' must be true or false.")
            if kind == "string" and not isinstance(value, str):
                raise BadParameter(f"'{what}.{name}' must be a string.")
            if kind is None and not isinstance(value, (str, int, float, bool)):
                raise BadParameter(f"'{what}.{name}' must be a string, number or boolean.")
            if what == "secrets" and not isinstance(value, str):
                raise BadParameter(f"'{what}.{name}' must be a string.")
            checked[name] = value
        return checked

    def _example_hint(self, protocol: Protocol | None = None) -> str:
        example = (protocol or PROTOCOLS["s3"]).example
        return f"For example {json.dumps(example)}." if example else "GET remotem/api/storage/protocols lists the fields."

    def test(self, checked: Checked) -> dict[str, Any]:
        """List the storage's root with the given credentials: what a user adds must open.  The
        backend's reason for a failure is answered (422) with every secret taken out."""
        secrets = [value for value in checked.secrets.values() if isinstance(value, str)]
        check_hosts(self.site.hosts, checked.url, checked.options)  # before any connection
        if checked.protocol.preflight is not None:
            checked.protocol.preflight(checked.url, checked.options, self.site)
        config = checked.config(self.site)
        # Tried once: kept out of fsspec's instance cache (no later storage gets this one) and closed.
        config = dataclasses.replace(config, storage_options={**config.storage_options, "skip_instance_cache": True})
        repository: OwnRepository | None = None
        try:
            repository = OwnRepository(config)
            listing = repository.fs.ls(repository.root or "", detail=False, **repository.fresh)
        except Exception as error:  # noqa: BLE001 - every backend fails in its own way; all are answered
            reason = str(error) or type(error).__name__
            if isinstance(error, RemotemError):
                reason = error.message
            raise ConnectionFailed(f"Storage '{checked.name}' could not be listed: "
                                   f"{redacted(f'{type(error).__name__}: {reason}', secrets)[:500]}") from None
        finally:
            if repository is not None:
                close_connection(repository.fs)
        return {"entries": len(listing)}

    def add(self, owner: str, checked: Checked) -> dict[str, Any]:
        row = OwnStorage(id=str(uuid.uuid4()), owner=owner, name=checked.name, protocol=checked.protocol.name,
                         url=checked.url, options=dict(checked.options), secret_fields=sorted(checked.secrets),
                         secrets=self.cipher.encrypt(checked.secrets), description=checked.description,
                         writable=checked.writable, created=utcnow())
        try:
            with self.store.writing() as session:
                session.add(row)
        except IntegrityError:  # added by another request a moment ago
            raise Conflict(f"You already have a storage named '{checked.name}'.", hint="Choose another name.") from None
        return next(item for item in self.list(owner) if item["name"] == checked.name)

    def remove(self, owner: str, name: str) -> None:
        """Forget the owner's storage ``name`` (404 when they have none of that name); its files stay."""
        with self.store.writing() as session:
            ids = list(session.scalars(select(OwnStorage.id).where(OwnStorage.owner == owner,
                                                                   OwnStorage.name == name)))
            if not ids:
                raise NotFound(f"You have no storage named '{name}'.", hint="GET remotem/api/storage lists yours.")
            session.execute(delete(OwnStorage).where(OwnStorage.id.in_(ids)))
        with self._lock:
            forgotten = [self._opened.pop(row_id, None) for row_id in ids]
        for repository in forgotten:
            if repository is not None:
                close_connection(repository.fs)

