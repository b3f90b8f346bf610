"""A batch of cutouts is priced like every job, and refused over budget with its quote."""

from __future__ import annotations

import pytest
from _api import call
from _cutouts import indexed_sky, sky_dir, sky_index_in_place  # noqa: F401 - fixtures
from _cutouts_batch import batch_config, mosaic_positions, out_dir, server  # noqa: F401 - fixtures

PRICES = {"currency": "credits", "per_core_hour": 40.0, "per_gb_month_stored": 500.0}
RETENTION_DAYS = 10.0


@pytest.fixture
def jp_server_config(repositories, sky_dir, out_dir, sky_index_in_place):
    return batch_config(repositories, sky_dir, out_dir, prices=PRICES, job_retention_days=RETENTION_DAYS,
                        quotas={"default": {"budget": 0}})


async def test_a_batch_quote_shows_its_cost_and_over_budget_it_is_refused(jp_fetch, server, sky_dir):
    body = {"defaults": {"survey": "demo_mosaic", "size": "32pix"}, "positions": mosaic_positions(sky_dir, 20)}
    code, dry = await call(jp_fetch, "POST", "cutouts", "jobs", body=body, dry_run=1)
    assert code == 200, dry
    quote = dry["quote"]
    expected = (quote["seconds"] / 3600 * PRICES["per_core_hour"]
                + quote["bytes_written"] / 1e9 * RETENTION_DAYS / 30 * PRICES["per_gb_month_stored"])
    assert quote["cost"]["currency"] == "credits" and quote["cost"]["amount"] == pytest.approx(expected, abs=1e-6)
    assert quote["cost"]["amount"] > 0 and dry["quota"]["code"] == "budget_exceeded", dry["quota"]
    code, refused = await call(jp_fetch, "POST", "cutouts", "jobs", body=body)
    assert code == 403 and refused["error"]["code"] == "budget_exceeded", refused
    refused_cost = refused["error"]["details"]["quote"]["cost"]
    assert refused_cost["currency"] == "credits" and refused_cost["amount"] > 0, "the refusal carries the priced quote"
    code, listed = await call(jp_fetch, "GET", "jobs", kind="cutouts")
    assert listed["jobs"] == [], "nothing was created"
