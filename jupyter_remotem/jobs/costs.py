"""What work costs, in the facility's currency: prices declared once, quotes priced from them.

On rented infrastructure reading a bucket, keeping results and running cores are billed; the
administrator declares those prices in ``RemotemApp.prices`` and every quote then carries
``cost: {"amount", "currency", "parts"}`` beside its seconds and bytes.  Without prices nothing
is priced and no answer changes.  A quote's cost is computed here only, from the quote's own
figures, so that a dry run, the job record and the budget check (:mod:`.quotas`) agree.

Units are those clouds bill in: decimal gigabytes (10⁹ bytes) read and stored, core-hours, and
binary GiB-hours of a cluster's memory.  A stored result is charged for the days it is kept
(the job retention) at the price per GB-month, a month being 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Keys of ``RemotemApp.prices``.
PRICE_KEYS = ("currency", "per_gb_read", "per_gb_read_by_repository", "per_gb_month_stored",
              "per_core_hour", "per_gib_hour", "job_cores")
GB = 1e9
GIB = float(1 << 30)
MONTH_DAYS = 30.0
#: Decimal places of amounts in answers (amounts are summed unrounded).
DIGITS = 6


@dataclass(frozen=True)
class Prices:
    """The administrator's prices; a missing price is free."""

    currency: str
    per_gb_read: float = 0.0
    per_gb_read_by_repository: dict[str, float] = field(default_factory=dict)
    per_gb_month_stored: float = 0.0
    per_core_hour: float = 0.0
    per_gib_hour: float = 0.0
    #: Cores a job's worker is charged for while it runs (a job's core-hours: its seconds × these).
    job_cores: float = 1.0

    @classmethod
    def from_config(cls, raw: Any) -> Prices | None:
        """``RemotemApp.prices`` checked; None when it is empty (nothing is priced).  A bad
        setting raises ValueError naming the key, which stops the server from starting."""
        if raw is None or raw == {}:
            return None
        if not isinstance(raw, dict):
            raise ValueError("prices must be an object such as {\"currency\": \"EUR\", \"per_core_hour\": 0.05}.")
        unknown = set(raw) - set(PRICE_KEYS)
        if unknown:
            raise ValueError(f"Unknown price keys: {sorted(unknown)}; use {', '.join(PRICE_KEYS)}.")
        currency = raw.get("currency")
        if not isinstance(currency, str) or not currency.strip():
            raise ValueError("prices: 'currency' is required (e.g. \"EUR\" or \"credits\").")
        numbers = {key: _price(raw, key) for key in ("per_gb_read", "per_gb_month_stored", "per_core_hour",
                                                     "per_gib_hour")}
        by_repository = raw.get("per_gb_read_by_repository") or {}
        if not isinstance(by_repository, dict):
            raise ValueError("prices: 'per_gb_read_by_repository' must map repository names to prices.")
        by_repository = {str(name): _price(by_repository, name, "per_gb_read_by_repository.")
                         for name in by_repository}
        cores = raw.get("job_cores", 1)
        if isinstance(cores, bool) or not isinstance(cores, (int, float)) or cores <= 0:
            raise ValueError("prices: 'job_cores' must be a positive number.")
        return cls(currency.strip(), per_gb_read_by_repository=by_repository, job_cores=float(cores), **numbers)

    def read_price(self, repository: str | None) -> float:
        """Per GB read from ``repository``: its own price, else the general one."""
        return self.per_gb_read_by_repository.get(repository or "", self.per_gb_read)

    def to_json(self) -> dict[str, Any]:
        return {"currency": self.currency, "per_gb_read": self.per_gb_read,
                "per_gb_read_by_repository": dict(self.per_gb_read_by_repository),
                "per_gb_month_stored": self.per_gb_month_stored, "per_core_hour": self.per_core_hour,
                "per_gib_hour": self.per_gib_hour, "job_cores": self.job_cores}


def _price(raw: dict[str, Any], key: str, where: str = "") -> float:
    value = raw.get(key, 0)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"prices: '{where}{key}' must be a non-negative number, not {value!r}.")
    return float(value)


def _part(what: str, quantity: float, unit: str, unit_price: float) -> dict[str, Any]:
    return {"what": what, "quantity": quantity, "unit": unit, "unit_price": unit_price,
            "amount": round(quantity * unit_price, DIGITS)}


def _total(prices: Prices, parts: list[dict[str, Any]]) -> dict[str, Any]:
    amount = sum(p["quantity"] * p["unit_price"] for p in parts)
    return {"amount": round(amount, DIGITS), "currency": prices.currency, "parts": parts}


def job_cost(prices: Prices, quote: dict[str, Any], repository: str | None, kept_days: float) -> dict[str, Any]:
    """The cost of a job's quote: GB read from ``repository``, core-hours (the quote's seconds ×
    the job's cores) and GB written kept for ``kept_days``."""
    bytes_read = float(quote.get("bytes_read") or 0)
    bytes_written = float(quote.get("bytes_written") or 0)
    seconds = float(quote.get("seconds") or 0)
    parts = [
        _part("read", bytes_read / GB, "GB", prices.read_price(repository)),
        _part("compute", seconds * prices.job_cores / 3600, "core-hour", prices.per_core_hour),
        _part("stored", bytes_written / GB * kept_days / MONTH_DAYS, "GB-month", prices.per_gb_month_stored),
    ]
    return dict(_total(prices, parts), repository=repository)


def cluster_cost(prices: Prices, cores: float, memory_gib: float, hours: float) -> dict[str, Any]:
    """What a cluster of ``cores`` and ``memory_gib`` in all costs over ``hours``."""
    if min(cores, memory_gib, hours) < 0:
        raise ValueError("cores, memory and hours of a cluster cannot be negative.")
    return _total(prices, [_part("cores", cores * hours, "core-hour", prices.per_core_hour),
                           _part("memory", memory_gib * hours, "GiB-hour", prices.per_gib_hour)])


def priced(prices: Prices | None, quote: dict[str, Any], repository: str | None, kept_days: float) -> dict[str, Any]:
    """``quote`` with its ``cost`` (unchanged without prices)."""
    if prices is None:
        return quote
    return dict(quote, cost=job_cost(prices, quote, repository, kept_days))


def spent_by(quote: dict[str, Any] | None, ran_s: float, completed: bool) -> tuple[float, float]:
    """(Spent, still reserved) by one job from the cost recorded in its quote: compute is
    charged by the seconds it ran (within the period), what it reads and keeps once it has
    completed (a job that failed or was cancelled pays its compute only); an unfinished job
    reserves the rest of its quoted cost.  The prices recorded in the quote are used, so a later
    change of prices does not rewrite what was spent."""
    cost = (quote or {}).get("cost")
    if not isinstance(cost, dict):
        return 0.0, 0.0
    quoted_s = float((quote or {}).get("seconds") or 0)
    spent = reserved = 0.0
    for part in cost.get("parts") or []:
        full = float(part.get("quantity") or 0) * float(part.get("unit_price") or 0)
        if part.get("what") == "compute":
            used = full * ran_s / quoted_s if quoted_s > 0 else 0.0
            spent += used
            reserved += max(full - used, 0.0)
        elif completed:
            spent += full
        else:
            reserved += full
    return spent, reserved


def amount_of(quote: dict[str, Any] | None) -> float:
    """A quote's cost amount (0 without one)."""
    cost = (quote or {}).get("cost")
    return float(cost.get("amount") or 0) if isinstance(cost, dict) else 0.0
