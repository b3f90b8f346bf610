"""The declared cluster options and the administrator's limits (no server needed)."""

from __future__ import annotations

import pytest

from jupyter_remotem.clusters.options import (
    OPTIONS,
    ClusterLimitExceeded,
    ClusterLimits,
    checked_options,
)
from jupyter_remotem.errors import BadParameter


def test_limits_lower_the_declared_ceilings_and_bound_the_adapt_range_by_the_workers_one():
    limits = ClusterLimits.from_config({"workers": 3, "memory_per_worker_gib": 1, "clusters": 1})
    schema = {option["name"]: option for option in limits.schema()["options"]}
    assert schema["workers"]["maximum"] == 3 and schema["adapt_maximum"]["maximum"] == 3
    assert schema["memory_per_worker_gib"]["maximum"] == 1 and schema["memory_per_worker_gib"]["default"] == 1
    assert schema["cores_per_worker"]["maximum"] == next(o.maximum for o in OPTIONS if o.name == "cores_per_worker")
    assert limits.schema()["clusters_per_user"] == 1


@pytest.mark.parametrize("config", [{"gpus": 1}, {"workers": -1}, {"workers": "8"}, {"clusters": True}])
def test_a_wrong_limit_is_refused_when_the_server_is_configured(config):
    with pytest.raises(ValueError):
        ClusterLimits.from_config(config)


def test_missing_options_take_the_defaults_or_the_current_ones():
    limits = ClusterLimits()
    fresh = checked_options({"workers": 2}, limits)
    assert (fresh.workers, fresh.cores_per_worker, fresh.adapt_maximum, fresh.idle_timeout_s) == (2, 1, None, 1800.0)
    changed = checked_options({"adapt_maximum": 4}, limits, current=fresh)
    assert (changed.workers, changed.adapt_minimum, changed.adapt_maximum) == (2, 0, 4) and changed.adaptive


def test_a_value_over_its_ceiling_names_the_option_and_what_is_allowed():
    with pytest.raises(ClusterLimitExceeded) as over:
        checked_options({"cores_per_worker": 3}, ClusterLimits.from_config({"cores_per_worker": 2}))
    assert over.value.status == 413 and over.value.details == {"option": "cores_per_worker", "allowed": 2}
    with pytest.raises(BadParameter):
        checked_options({"adapt_minimum": 1}, ClusterLimits())  # a minimum without a maximum


def test_the_channel_is_private_forgets_a_former_servers_clusters_and_answers_only_their_owner(tmp_path):
    from jupyter_remotem.clusters.channel import ClusterAccess, ClusterChannel, read_access
    from jupyter_remotem.errors import NotFound

    path = tmp_path / "worker" / "clusters.json"
    first = ClusterChannel(path)
    first.publish(ClusterAccess("a1", "ada", "tls://127.0.0.1:1", "CA", "CERT", "KEY"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_access(path, "a1", "ada").tls_key == "KEY"
    with pytest.raises(NotFound):
        read_access(path, "a1", "bob")  # somebody else's job never reaches it
    ClusterChannel(path)  # the next server: nothing of the former one runs any more
    with pytest.raises(NotFound):
        read_access(path, "a1", "ada")
