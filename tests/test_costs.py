"""Prices and costs on their own: the setting checked, quotes and clusters priced, budgets refused."""

from __future__ import annotations

import pytest
from jupyter_remotem.app import RemotemApp
from jupyter_remotem.errors import BudgetExceeded
from jupyter_remotem.jobs.costs import Prices, amount_of, cluster_cost, job_cost, priced, spent_by
from jupyter_remotem.jobs.quotas import Limits, Usage, check_config, report, require_fit, spending, verdict

PRICES = {"currency": "EUR", "per_gb_read": 0.01, "per_gb_read_by_repository": {"archive": 0.09},
          "per_gb_month_stored": 0.02, "per_core_hour": 0.05, "per_gib_hour": 0.004, "job_cores": 4}


@pytest.mark.parametrize("raw, fragment", [
    ({"per_core_hour": 1}, "'currency' is required"),
    ({"currency": "  "}, "'currency' is required"),
    ({"currency": "EUR", "per_core_hr": 1}, "Unknown price keys"),
    ({"currency": "EUR", "per_gb_read": -1}, "'per_gb_read' must be a non-negative number"),
    ({"currency": "EUR", "per_gib_hour": "cheap"}, "'per_gib_hour' must be a non-negative number"),
    ({"currency": "EUR", "per_core_hour": True}, "'per_core_hour' must be a non-negative number"),
    ({"currency": "EUR", "per_gb_read_by_repository": ["s3"]}, "must map repository names"),
    ({"currency": "EUR", "per_gb_read_by_repository": {"s3": -0.1}}, "'per_gb_read_by_repository.s3'"),
    ({"currency": "EUR", "job_cores": 0}, "'job_cores' must be a positive number"),
])
def test_a_bad_price_setting_is_refused_with_what_is_wrong(raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        Prices.from_config(raw)


def test_bad_prices_stop_the_extension_from_starting():
    with pytest.raises(ValueError, match="'per_gb_read' must be a non-negative number"):
        RemotemApp(prices={"currency": "EUR", "per_gb_read": -1})


def test_a_budget_without_prices_stops_the_extension_from_starting():
    app = RemotemApp(quotas={"groups": {"beamline": {"budget": 100}}})
    with pytest.raises(ValueError, match="sets a 'budget' but no prices"):
        app.price_list()
    assert RemotemApp(quotas={"default": {"storage_bytes": 10}}).price_list() is None
    assert RemotemApp(prices=PRICES, quotas={"default": {"budget": 5}}).price_list().currency == "EUR"


def test_no_prices_no_costs():
    assert Prices.from_config({}) is None
    quote = {"seconds": 10.0, "bytes_read": 10**9, "bytes_written": 10**6}
    assert priced(None, quote, "demo", 7) is quote and "cost" not in quote


def test_a_job_quote_is_priced_from_its_own_bytes_and_seconds():
    prices = Prices.from_config(PRICES)
    quote = {"seconds": 1800.0, "bytes_read": 3 * 10**9, "bytes_written": 5 * 10**8}
    cost = job_cost(prices, quote, "archive", kept_days=15)
    by_part = {part["what"]: part for part in cost["parts"]}
    assert by_part["read"]["quantity"] == pytest.approx(3.0) and by_part["read"]["unit_price"] == 0.09, \
        "the repository's own read price"
    assert by_part["compute"]["quantity"] == pytest.approx(0.5 * 4), "half an hour on the job's 4 cores"
    assert by_part["stored"]["quantity"] == pytest.approx(0.5 * 15 / 30), "0.5 GB kept for half a month"
    expected = 3.0 * 0.09 + 2.0 * 0.05 + 0.25 * 0.02
    assert cost["amount"] == pytest.approx(expected) and cost["currency"] == "EUR"
    assert sum(p["amount"] for p in cost["parts"]) == pytest.approx(expected)
    elsewhere = job_cost(prices, quote, "demo", kept_days=15)
    assert elsewhere["amount"] == pytest.approx(expected - 3.0 * (0.09 - 0.01)), "other repositories: the general price"


def test_a_cluster_is_priced_by_core_hours_and_gib_hours():
    prices = Prices.from_config(PRICES)
    cost = cluster_cost(prices, cores=8, memory_gib=32, hours=2.5)
    assert cost["amount"] == pytest.approx(8 * 2.5 * 0.05 + 32 * 2.5 * 0.004)
    assert [p["unit"] for p in cost["parts"]] == ["core-hour", "GiB-hour"]
    assert cluster_cost(prices, 0, 0, 10)["amount"] == 0
    with pytest.raises(ValueError, match="negative"):
        cluster_cost(prices, -1, 4, 1)


def test_spending_charges_compute_as_it_runs_and_the_rest_once_completed():
    prices = Prices.from_config(PRICES)
    quote = priced(prices, {"seconds": 3600.0, "bytes_read": 10**9, "bytes_written": 0}, "demo", 7)
    compute_full = 1.0 * 4 * 0.05
    read = 0.01
    spent, reserved = spent_by(quote, ran_s=900, completed=False)
    assert spent == pytest.approx(compute_full / 4) and reserved == pytest.approx(compute_full * 3 / 4 + read)
    spent, reserved = spent_by(quote, ran_s=3600, completed=True)
    assert spent == pytest.approx(amount_of(quote)) and reserved == 0
    assert spent_by(quote, ran_s=1800, completed=False)[0] == pytest.approx(compute_full / 2), \
        "failed half way: its compute only"
    assert spent_by({"seconds": 5}, 5, True) == (0.0, 0.0), "a quote without prices costs nothing"


def test_a_job_over_the_budget_is_refused_with_the_numbers():
    check_config({"default": {"budget": 10}, "users": {"ada": {"budget": None}}})
    with pytest.raises(ValueError, match="non-negative"):
        check_config({"default": {"budget": -1}})
    limits = Limits(budget=10.0)
    usage = Usage(0, 0, 0.0, 0, 0.0, spent=6.5, reserved_cost=1.5)
    quote = {"seconds": 1, "cost": {"amount": 2.0, "currency": "EUR", "parts": []}}
    assert verdict(limits, usage, quote) is None, "exactly what is left fits"
    over = dict(quote, cost=dict(quote["cost"], amount=2.5))
    reason = verdict(limits, usage, over)
    assert "quoted at 2.50 EUR" in reason and "only 2.00 EUR of your budget of 10 EUR in 30 days" in reason
    with pytest.raises(BudgetExceeded) as refused:
        require_fit(limits, usage, over)
    assert refused.value.status == 403 and refused.value.to_json()["error"]["code"] == "budget_exceeded"
    assert refused.value.hint and "GET remotem/api/quota" in refused.value.hint
    assert verdict(Limits(), usage, over) is None, "no budget, no limit on costs"
    assert report(limits, usage)["remaining"]["budget"] == 2.0
    assert "budget" not in report(Limits(), usage)["limits"], "answers without budgets are unchanged"
    shown = spending(limits, usage, "EUR")
    assert (shown["spent"], shown["reserved"], shown["budget"], shown["remaining"]) == (6.5, 1.5, 10.0, 2.0)
