"""Which hosts users' own storages may reach.

A storage a user adds makes this server (and its job worker) connect where the user says: without
a rule, a user on a hub could point an "S3 endpoint" at the cloud's metadata service or at a
service on the hub's private network, and read what the server may read there.  The
administrator's policy is checked before any connection, when a storage is tested or saved and
each time the server or a worker opens it (a name may resolve elsewhere later):

- every address the host resolves to must lie outside the blocked networks (by default the
  link-local ranges, where cloud metadata services answer);
- when an allow-list is set, the host name must match one of its patterns (``*.example.org``).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import BadParameter, HostNotAllowed

#: Link-local IPv4 and IPv6 (169.254.169.254, fe80::), and the metadata addresses that are not.
DEFAULT_BLOCKED = ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32")
#: URL schemes whose part after ``//`` is a host (``s3://`` and ``webdav://`` name a bucket or a
#: folder; their hosts are options such as ``endpoint_url`` and ``base_url``).
HOST_SCHEMES = ("sftp", "ssh", "http", "https", "ftp", "ftps", "smb")


@dataclass(frozen=True)
class HostPolicy:
    """The administrator's rule (``user_storage_blocked_networks``, ``user_storage_allowed_hosts``)."""

    blocked: tuple[str, ...] = DEFAULT_BLOCKED
    allowed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for network in self.blocked:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"user_storage_blocked_networks: {network!r} is not a network "
                                 "(e.g. '169.254.0.0/16').") from None

    def to_config(self) -> dict[str, list[str]]:
        return {"blocked": list(self.blocked), "allowed": list(self.allowed)}

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None) -> HostPolicy:
        if not raw:
            return cls()
        return cls(tuple(raw.get("blocked", DEFAULT_BLOCKED)), tuple(raw.get("allowed", ())))


def hosts_in(url: str, options: dict[str, Any]) -> list[str]:
    """The hosts a storage connects to: its URL's, when the URL names one, and those of every
    option that is a URL (an S3 ``endpoint_url``, a WebDAV ``base_url``)."""
    candidates = [url] if url.split("://", 1)[0].lower() in HOST_SCHEMES else []
    candidates += [value for value in options.values() if isinstance(value, str) and "://" in value]
    hosts = []
    for candidate in candidates:
        try:
            host = urlsplit(candidate).hostname
        except ValueError:  # a malformed bracketed address
            raise BadParameter(f"{candidate[:200]!r} is not a URL with a host.",
                               hint="For example 'https://s3.example.org' or 'sftp://data.example.org/path'.") from None
        if host:
            hosts.append(host.lower())
    return hosts


def check_hosts(policy: HostPolicy, url: str, options: dict[str, Any]) -> None:
    """Refuse (403 ``host_not_allowed``) a storage whose hosts the policy does not allow."""
    for host in hosts_in(url, options):
        if policy.allowed and not any(fnmatch.fnmatch(host, pattern.lower()) for pattern in policy.allowed):
            raise HostNotAllowed(f"Storages of users may not connect to '{host}'.",
                                 hint=f"Hosts allowed by the administrator: {', '.join(policy.allowed)}.")
        blocked = _blocked_address(host, policy.blocked)
        if blocked is not None:
            raise HostNotAllowed(f"Storages of users may not connect to '{host}' ({blocked} is in a blocked network).",
                                 hint="Link-local and metadata addresses are never reached for a user; "
                                      "use the storage's public address.")


def _blocked_address(host: str, blocked: Iterable[str]) -> str | None:
    networks = [ipaddress.ip_network(network, strict=False) for network in blocked]
    if not networks:
        return None
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%", 1)[0])
                         for info in socket.getaddrinfo(host, None)}
        except (socket.gaierror, UnicodeError):
            return None  # unknown names cannot be reached either; the connection test says so
    for address in addresses:
        mapped = getattr(address, "ipv4_mapped", None) or address  # ::ffff:169.254.169.254 is that address
        if any(mapped.version == network.version and mapped in network for network in networks):
            return str(address)
    return None
