"""Which hosts users' own storages may reach: link-local and metadata addresses never (whatever a
name resolves to), and only the allowed hosts when the administrator lists them."""

from __future__ import annotations

import pytest

from jupyter_remotem.errors import BadParameter, HostNotAllowed
from jupyter_remotem.storage.hosts import HostPolicy, check_hosts, hosts_in
from jupyter_remotem.storage.own import Site


def test_the_hosts_of_a_storage_are_its_urls_hosts_not_its_bucket():
    assert hosts_in("s3://bucket/prefix", {"endpoint_url": "http://MinIO.lab:9000"}) == ["minio.lab"]
    assert hosts_in("s3://bucket/prefix", {}) == []  # AWS itself
    assert hosts_in("webdav://group", {"base_url": "https://cloud.example.org/remote.php/dav"}) == \
        ["cloud.example.org"]
    assert hosts_in("sftp://data.example.org:2222/home", {"username": "ada"}) == ["data.example.org"]
    with pytest.raises(BadParameter):
        hosts_in("sftp://[::1/home", {})


@pytest.mark.parametrize("endpoint", [
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:80/", "http://[::ffff:169.254.169.254]/",
    "http://100.100.100.200/", "http://[fd00:ec2::254]/",
])
def test_metadata_and_link_local_addresses_are_never_reached(endpoint):
    with pytest.raises(HostNotAllowed) as refused:
        check_hosts(HostPolicy(), "s3://bucket", {"endpoint_url": endpoint})
    assert refused.value.status == 403 and refused.value.code == "host_not_allowed" and refused.value.hint


def test_a_name_is_judged_by_what_it_resolves_to():
    check_hosts(HostPolicy(), "sftp://localhost/data", {})  # loopback is not blocked by default
    with pytest.raises(HostNotAllowed, match="127.0.0.1|::1"):
        check_hosts(HostPolicy(blocked=("127.0.0.0/8", "::1/128")), "sftp://localhost/data", {})
    check_hosts(HostPolicy(), "sftp://no-such-host.invalid/data", {})  # unknown: the connection test says so


def test_an_allow_list_admits_only_its_hosts():
    policy = HostPolicy(allowed=("*.example.org", "127.0.0.1"))
    check_hosts(policy, "s3://b", {"endpoint_url": "https://s3.example.org"})
    check_hosts(policy, "s3://b", {"endpoint_url": "http://127.0.0.1:9000"})
    with pytest.raises(HostNotAllowed, match="evil.test"):
        check_hosts(policy, "s3://b", {"endpoint_url": "https://evil.test"})
    with pytest.raises(HostNotAllowed):  # an allowed name still may not resolve into a blocked network
        check_hosts(HostPolicy(allowed=("169.254.169.254",)), "s3://b", {"endpoint_url": "http://169.254.169.254"})


def test_the_policy_reaches_the_worker_unchanged_and_a_bad_network_stops_the_start():
    site = Site(known_hosts="/etc/ssh/known", hosts=HostPolicy(blocked=("10.0.0.0/8",), allowed=("*.lab",)))
    assert Site.from_config(site.to_config()) == site
    assert Site.from_config(None) == Site()
    with pytest.raises(ValueError, match="not a network"):
        HostPolicy(blocked=("ten-dot-zero",))
