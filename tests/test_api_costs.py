"""Costs through a real server: quotes priced, spending in ``GET quota``, budgets refused before any work."""

from __future__ import annotations

from datetime import datetime

import pytest
from _api import call, server_config
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures

from jupyter_remotem.client import PermissionDenied
from jupyter_remotem.jobs.models import Phase

PRICES = {"currency": "EUR", "per_gb_read": 20.0, "per_gb_read_by_repository": {"private": 90.0},
          "per_gb_month_stored": 3.0, "per_core_hour": 0.5, "job_cores": 2}
RETENTION_DAYS = 15.0


def expected_amount(quote: dict, repository: str) -> float:
    """The cost of a quote from its own figures and the prices, as the README says it is computed."""
    read_price = PRICES["per_gb_read_by_repository"].get(repository, PRICES["per_gb_read"])
    return (quote["bytes_read"] / 1e9 * read_price
            + quote["seconds"] * PRICES["job_cores"] / 3600 * PRICES["per_core_hour"]
            + quote["bytes_written"] / 1e9 * RETENTION_DAYS / 30 * PRICES["per_gb_month_stored"])


@pytest.fixture
def repositories(repositories, tmp_path):
    (tmp_path / "out").mkdir()
    return repositories + [{"name": "out", "url": str(tmp_path / "out"), "writable": True}]


def job(output: str, repository: str = "demo") -> dict:
    return {"repository": repository, "path": "scan.h5", "operation": "virtual_detector",
            "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]},
            "output": {"repository": "out", "path": output}}


class TestWithoutPrices:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada", quotas={"default": {"storage_bytes": 10**9}})

    async def test_nothing_is_priced(self, jp_fetch):
        code, dry = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"), dry_run=1)
        assert code == 200, dry
        assert "cost" not in dry["quote"] and dry["quote"]["bytes_read"] > 0
        code, quota = await call(jp_fetch, "GET", "quota")
        assert code == 200 and "costs" not in quota and "budget" not in quota["limits"], quota
        code, made = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"))
        assert code == 201 and "cost" not in made["quote"], made


class TestPricedQuotes:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada", prices=PRICES, job_retention_days=RETENTION_DAYS,
                             user_groups=["microscopy"], quotas={"default": {"budget": 1000}})

    async def test_a_reduction_quote_shows_its_cost(self, jp_fetch):
        code, dry = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"), dry_run=1)
        assert code == 200, dry
        quote = dry["quote"]
        assert quote["bytes_read"] > 0 and quote["seconds"] > 0
        cost = quote["cost"]
        assert cost["currency"] == "EUR" and cost["repository"] == "demo"
        assert cost["amount"] == pytest.approx(expected_amount(quote, "demo"), abs=1e-6)
        assert {p["what"] for p in cost["parts"]} == {"read", "compute", "stored"}
        code, own = await call(jp_fetch, "POST", "jobs", body=job("bf2.npy", "private"), dry_run=1)
        assert code == 200, own
        assert own["quote"]["cost"]["amount"] == pytest.approx(expected_amount(own["quote"], "private"), abs=1e-6)
        assert own["quote"]["cost"]["amount"] > cost["amount"], "reading 'private' has its own, higher price"

    async def test_the_job_records_its_cost_and_quota_shows_what_was_spent(self, jp_fetch, jp_serverapp):
        code, made = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"))
        assert code == 201, made
        quoted = made["quote"]["cost"]["amount"]
        assert quoted == pytest.approx(expected_amount(made["quote"], "demo"), abs=1e-6)
        code, quota = await call(jp_fetch, "GET", "quota")
        assert code == 200, quota
        costs = quota["costs"]
        assert costs["currency"] == "EUR" and costs["budget"] == 1000 and costs["spent"] == 0
        assert costs["reserved"] == pytest.approx(quoted, abs=1e-5), "a queued job reserves its quoted cost"
        assert quota["remaining"]["budget"] == pytest.approx(1000 - quoted, abs=1e-5)

        store = jp_serverapp.web_app.settings["remotem"].jobs
        assert store.claim("w1").id == made["id"]
        assert store.finish(made["id"], Phase.COMPLETED, results=[])
        done = store.get(made["id"], "ada").to_json()
        ran = (datetime.fromisoformat(done["ended"]) - datetime.fromisoformat(done["started"])).total_seconds()
        compute = next(p for p in made["quote"]["cost"]["parts"] if p["what"] == "compute")
        spent = quoted - compute["quantity"] * compute["unit_price"] * (1 - ran / made["quote"]["seconds"])
        code, quota = await call(jp_fetch, "GET", "quota")
        assert quota["costs"]["spent"] == pytest.approx(spent, abs=1e-5), quota["costs"]
        assert quota["costs"]["reserved"] == 0

    async def test_a_copy_quote_shows_its_cost(self, jp_fetch, demo_dir):
        body = {"operation": "copy", "source": {"repository": "private", "path": "scan.npy"},
                "target": {"repository": "out", "path": "copied"}}
        code, dry = await call(jp_fetch, "POST", "jobs", body=body, dry_run=1)
        assert code == 200, dry
        quote = dry["quote"]
        assert quote["bytes_read"] == (demo_dir / "scan.npy").stat().st_size
        assert quote["cost"]["amount"] == pytest.approx(expected_amount(quote, "private"), abs=1e-6)

    async def test_the_client_shows_quoted_costs(self, jp_fetch, client):
        ds = await in_thread(client.open, "demo", "scan.h5")
        params = job("x.npy")["params"]
        quote = await in_thread(ds.quote, "virtual_detector", params, output="c.npy", repository="out")
        assert quote["cost"]["amount"] == pytest.approx(expected_amount(quote, "demo"), abs=1e-6)
        submitted = await in_thread(ds.submit, "virtual_detector", params, output="c.npy", repository="out")
        assert submitted.cost == submitted.quote["cost"] and submitted.cost["currency"] == "EUR"
        assert (await in_thread(client.quota))["costs"]["budget"] == 1000


class TestBudget:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada", prices=PRICES, job_retention_days=RETENTION_DAYS,
                             quotas={"default": {"budget": 1000}, "users": {"ada": {"budget": 0.0}}})

    async def test_a_job_over_budget_is_refused_before_any_work(self, jp_fetch, jp_serverapp):
        code, dry = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"), dry_run=1)
        assert code == 200, dry
        amount = dry["quote"]["cost"]["amount"]
        assert amount > 0
        assert dry["quota"]["fits"] is False and dry["quota"]["code"] == "budget_exceeded", dry["quota"]
        assert f"quoted at {amount:.2f} EUR" in dry["quota"]["reason"]
        code, refused = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"))
        assert code == 403, refused
        error = refused["error"]
        assert error["code"] == "budget_exceeded" and "budget of 0 EUR" in error["message"]
        assert "GET remotem/api/quota" in error["hint"]
        assert (await call(jp_fetch, "GET", "jobs"))[1]["jobs"] == [], "nothing was created"

    async def test_the_budget_admits_what_fits_and_counts_what_is_reserved(self, jp_fetch, jp_serverapp):
        code, dry = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"), dry_run=1)
        amount = dry["quote"]["cost"]["amount"]
        services = jp_serverapp.web_app.settings["remotem"]
        services.quotas = {"users": {"ada": {"budget": amount * 1.5}}}  # room for one such job, not two
        code, first = await call(jp_fetch, "POST", "jobs", body=job("bf.npy"))
        assert code == 201, first
        code, second = await call(jp_fetch, "POST", "jobs", body=job("bf2.npy"))
        assert code == 403 and second["error"]["code"] == "budget_exceeded", second
        assert "reserved by unfinished jobs" in second["error"]["message"]
        code, saved = await call(jp_fetch, "POST", "saves", body=job("bf3.npy"), dry_run=1)
        assert code == 200 and saved["quota"]["code"] == "budget_exceeded", saved

    async def test_a_direct_save_over_budget_is_refused(self, jp_fetch, tmp_path):
        code, dry = await call(jp_fetch, "POST", "saves", body=job("direct.npy"), dry_run=1)
        assert code == 200 and dry["direct"] is True and dry["quota"]["code"] == "budget_exceeded", dry
        code, refused = await call(jp_fetch, "POST", "saves", body=job("direct.npy"))
        assert code == 403 and refused["error"]["code"] == "budget_exceeded", refused
        assert not (tmp_path / "out" / "direct.npy").exists(), "nothing was written"
        assert (await call(jp_fetch, "GET", "jobs"))[1]["jobs"] == [], "no job was recorded"


class TestClusterCosts:
    PRICES = dict(PRICES, per_gib_hour=0.125)

    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada", prices=self.PRICES, cluster_processes=False)

    @pytest.fixture
    def clusters_end_with_the_test(self, jp_serverapp):
        yield
        jp_serverapp.web_app.settings["remotem"].clusters.close_all()

    async def test_a_cluster_says_what_it_costs_per_hour(self, jp_fetch, clusters_end_with_the_test):
        code, started = await call(jp_fetch, "POST", "clusters",
                                   body={"workers": 1, "cores_per_worker": 2, "memory_per_worker_gib": 0.5})
        assert code == 201, started
        cost = started["cost_per_hour"]
        cores, memory_gib = started["cores"] or 2, (started["memory_bytes"] or 2**29) / 2**30
        assert cost["currency"] == "EUR"
        assert cost["amount"] == pytest.approx(cores * PRICES["per_core_hour"] + memory_gib * 0.125)
        assert {part["what"] for part in cost["parts"]} == {"cores", "memory"}
        code, _ = await call(jp_fetch, "DELETE", "clusters", started["id"])
        assert code in (200, 204)
        code, stopped = await call(jp_fetch, "GET", "clusters", started["id"])
        assert code == 200 and stopped["state"] == "stopped" and "cost_per_hour" not in stopped, stopped
