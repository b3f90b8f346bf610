"""Storage and compute quotas: told before a job that it will not fit, and why.

A facility shares its storage and its CPUs.  Each user has limits — their own, the most generous
of their groups', or the default — on the bytes their results occupy and on the hours of
execution their jobs use in a rolling period.  A group may also have a *pool*: one allocation
shared by its members (a project's or a beamtime's), which the jobs of all of them together may
not exceed; a job counts against the pools of the groups its owner was in when submitting it.  Usage counts every file jobs wrote
that is still there (:mod:`.ledger`: results, copies, manifests — also those kept after their job
was deleted with ``keep_files``) and what jobs ran for, plus what queued and running jobs are
quoted to add beyond what they have written so far, so that many small jobs submitted at once
cannot together overrun a limit that each of them alone would fit.

With prices (:mod:`.costs`) the limits may also hold a *budget* in their currency per period:
what finished jobs spent (from the costs recorded in their quotes) plus what unfinished ones
are quoted to cost may not exceed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import BudgetExceeded, Forbidden

#: Keys of one set of limits in ``RemotemApp.quotas``; a missing key means no limit.
LIMIT_KEYS = ("storage_bytes", "compute_hours", "period_days", "budget")
DEFAULT_PERIOD_DAYS = 30.0


class QuotaExceeded(Forbidden):
    code = "quota_exceeded"
    default_hint = "Delete old results (DELETE remotem/api/jobs/{id}) or ask for a larger quota."


@dataclass(frozen=True)
class Limits:
    storage_bytes: float | None = None
    compute_hours: float | None = None
    period_days: float = DEFAULT_PERIOD_DAYS
    #: Most a user (or a pool) may spend per period, in the currency of ``RemotemApp.prices``.
    budget: float | None = None

    @classmethod
    def from_json(cls, raw: Any, where: str) -> Limits:
        if not isinstance(raw, dict) or set(raw) - set(LIMIT_KEYS):
            raise ValueError(f"Quota {where} must be an object with keys among {', '.join(LIMIT_KEYS)}.")
        for key in LIMIT_KEYS:
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise ValueError(f"Quota {where}: '{key}' must be a non-negative number or null.")
        return cls(raw.get("storage_bytes"), raw.get("compute_hours"),
                   float(raw.get("period_days") or DEFAULT_PERIOD_DAYS), raw.get("budget"))

    def to_json(self) -> dict[str, Any]:
        shown = {"storage_bytes": self.storage_bytes, "compute_hours": self.compute_hours,
                 "period_days": self.period_days}
        if self.budget is not None:  # answers without budgets stay as they were
            shown["budget"] = self.budget
        return shown


def _more_generous(a: Limits, b: Limits) -> Limits:
    def larger(x: float | None, y: float | None) -> float | None:
        return None if x is None or y is None else max(x, y)

    return Limits(larger(a.storage_bytes, b.storage_bytes), larger(a.compute_hours, b.compute_hours),
                  max(a.period_days, b.period_days), larger(a.budget, b.budget))


def has_budget(config: dict[str, Any]) -> bool:
    """Whether any limit in ``RemotemApp.quotas`` is a budget (which needs prices)."""
    entries = [config.get("default") or {}]
    for section in ("users", "groups", "pools"):
        entries += list((config.get(section) or {}).values())
    return any(isinstance(e, dict) and e.get("budget") is not None for e in entries)


def check_config(config: dict[str, Any]) -> dict[str, Any]:
    """Validate ``RemotemApp.quotas``: ``{"default": {...}, "users": {name: {...}}, "groups": {...}}``."""
    unknown = set(config) - {"default", "users", "groups", "pools"}
    if unknown:
        raise ValueError(f"Unknown quota keys: {sorted(unknown)}; use default, users, groups and pools.")
    if "default" in config:
        Limits.from_json(config["default"], "default")
    for section in ("users", "groups", "pools"):
        entries = config.get(section, {})
        if not isinstance(entries, dict):
            raise ValueError(f"Quota '{section}' must map names to limits.")
        for name, raw in entries.items():
            Limits.from_json(raw, f"{section}.{name}")
    return config


def limits_for(config: dict[str, Any], user: str, groups: Iterable[str]) -> Limits:
    """The user's own limits, else the most generous of their groups', else the default."""
    if user in config.get("users", {}):
        return Limits.from_json(config["users"][user], f"users.{user}")
    group_limits = [Limits.from_json(config["groups"][g], f"groups.{g}") for g in sorted(groups)
                    if g in config.get("groups", {})]
    if group_limits:
        chosen = group_limits[0]
        for other in group_limits[1:]:
            chosen = _more_generous(chosen, other)
        return chosen
    return Limits.from_json(config.get("default", {}), "default")


def pools_for(config: dict[str, Any], groups: Iterable[str]) -> dict[str, Limits]:
    """The shared allocations of the user's groups, by group."""
    pools = config.get("pools", {})
    return {group: Limits.from_json(pools[group], f"pools.{group}") for group in sorted(groups) if group in pools}


@dataclass(frozen=True)
class Usage:
    """What a user's jobs occupy and used, and what their unfinished jobs are quoted to add."""

    storage_bytes: int
    results: int
    compute_s: float
    reserved_bytes: int
    reserved_s: float
    #: Part of ``storage_bytes``: files kept after their job was deleted (``keep_files``), and how many.
    kept_bytes: int = 0
    kept_files: int = 0
    #: Spent in the period by jobs' recorded costs, and the rest unfinished jobs are quoted to cost.
    spent: float = 0.0
    reserved_cost: float = 0.0


def verdict(limits: Limits, usage: Usage, quote: dict[str, Any] | None = None, pool: str | None = None) -> str | None:
    """Why a job with ``quote`` (or any job, without one) would not fit; None when it fits.
    ``pool`` names the group when ``limits`` and ``usage`` are a group's shared pool."""
    found = refusal(limits, usage, quote, pool)
    return found[0] if found else None


def refusal(limits: Limits, usage: Usage, quote: dict[str, Any] | None,
             pool: str | None) -> tuple[str, type[Forbidden]] | None:
    """The reason and the error class of a refusal, or None."""
    reason = _limit_verdict(limits, usage, quote, pool)
    if reason:
        return reason, QuotaExceeded
    reason = _budget_verdict(limits, usage, quote, pool)
    return (reason, BudgetExceeded) if reason else None


def _budget_verdict(limits: Limits, usage: Usage, quote: dict[str, Any] | None, pool: str | None) -> str | None:
    from .costs import amount_of

    if limits.budget is None:
        return None
    cost = (quote or {}).get("cost") or {}
    adds = amount_of(quote)
    committed = usage.spent + usage.reserved_cost
    if committed + adds <= limits.budget + 1e-9:
        return None
    currency = f" {cost['currency']}" if cost.get("currency") else ""
    whose = "your" if pool is None else f"group '{pool}''s shared"
    return (f"This job is quoted at {adds:.2f}{currency}, but only {max(limits.budget - committed, 0):.2f}{currency} "
            f"of {whose} budget of {limits.budget:g}{currency} in {limits.period_days:g} days are left "
            f"({usage.spent:.2f} spent, {usage.reserved_cost:.2f} reserved by unfinished jobs).")


def _limit_verdict(limits: Limits, usage: Usage, quote: dict[str, Any] | None, pool: str | None) -> str | None:
    quote = quote or {}
    adds_bytes, adds_s = float(quote.get("bytes_written") or 0), float(quote.get("seconds") or 0)
    whose, quota = ("Your", "your") if pool is None else (f"Group '{pool}'", "the group's shared")
    if limits.storage_bytes is not None:
        used = usage.storage_bytes + usage.reserved_bytes
        if used + adds_bytes > limits.storage_bytes:
            files = f"{usage.results} result file{'' if usage.results == 1 else 's'}"
            if usage.kept_files:
                files += f" (of which {usage.kept_files} kept after their jobs were deleted)"
            return (f"{whose} results would need {_size(used + adds_bytes)} but {quota} storage quota is "
                    f"{_size(limits.storage_bytes)}: {_size(usage.storage_bytes)} are kept by {files}, "
                    f"{_size(usage.reserved_bytes)} are reserved by unfinished jobs, and this job "
                    f"writes about {_size(adds_bytes)}.")
    if limits.compute_hours is not None:
        used_s = usage.compute_s + usage.reserved_s
        if used_s + adds_s > limits.compute_hours * 3600:
            return (f"This job needs about {_hours(adds_s)} of compute, but only "
                    f"{_hours(max(limits.compute_hours * 3600 - used_s, 0))} of {quota} "
                    f"{limits.compute_hours:g} h in {limits.period_days:g} days are left "
                    f"({_hours(usage.compute_s)} used, {_hours(usage.reserved_s)} reserved by unfinished jobs).")
    return None


def require_fit(limits: Limits, usage: Usage, quote: dict[str, Any], pool: str | None = None) -> None:
    found = refusal(limits, usage, quote, pool)
    if found:
        reason, error = found
        raise error(reason, quota=report(limits, usage))


def report(limits: Limits, usage: Usage) -> dict[str, Any]:
    """``GET quota``: limits, usage and what is left (None where there is no limit)."""

    def left(limit: float | None, used: float) -> float | None:
        return None if limit is None else max(limit - used, 0.0)

    shown = {
        "limits": limits.to_json(),
        "usage": {
            "storage_bytes": usage.storage_bytes,
            "results": usage.results,
            "compute_hours": round(usage.compute_s / 3600, 4),
            "reserved_bytes": usage.reserved_bytes,
            "reserved_hours": round(usage.reserved_s / 3600, 4),
            "kept_bytes": usage.kept_bytes,
            "kept_files": usage.kept_files,
        },
        "remaining": {
            "storage_bytes": left(limits.storage_bytes, usage.storage_bytes + usage.reserved_bytes),
            "compute_hours": left(limits.compute_hours, (usage.compute_s + usage.reserved_s) / 3600),
        },
    }
    if limits.budget is not None:
        shown["remaining"]["budget"] = round(left(limits.budget, usage.spent + usage.reserved_cost), 6)
    return shown


def spending(limits: Limits, usage: Usage, currency: str) -> dict[str, Any]:
    """``GET quota``'s costs in the period, when prices are set: spent, reserved, the budget."""
    budget = limits.budget
    committed = usage.spent + usage.reserved_cost
    return {"currency": currency, "spent": round(usage.spent, 6), "reserved": round(usage.reserved_cost, 6),
            "budget": budget, "remaining": None if budget is None else round(max(budget - committed, 0.0), 6),
            "period_days": limits.period_days}


def _size(nbytes: float) -> str:
    """Binary units, as JupyterLab shows sizes."""
    for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= factor:
            return f"{nbytes / factor:.1f} {unit}"
    return f"{int(nbytes)} bytes"


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 360 else f"{seconds / 60:.1f} min"
