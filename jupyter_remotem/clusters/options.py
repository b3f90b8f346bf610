"""The options of a cluster, declared once: the REST validation, ``GET clusters/options`` (which
the client and the lab build their forms from) and the backends all read :data:`OPTIONS`.

Each option has a declared default and a ceiling; the administrator lowers or raises the ceiling
(``c.RemotemApp.cluster_limits``, keyed by option name, plus ``clusters``: how many one user may
run at once).  A request over a ceiling is refused with 413 ``cluster_limit``, naming the option
and what is allowed, before anything starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import BadParameter, TooLarge


class ClusterLimitExceeded(TooLarge):
    """A cluster asked for more than the administrator allows (workers, cores, memory, count)."""

    code = "cluster_limit"
    default_hint = "Ask for less (GET remotem/api/clusters/options lists the limits), or ask an administrator."


@dataclass(frozen=True)
class ClusterOption:
    """One thing a user chooses about a cluster."""

    name: str
    label: str
    #: JSON type: "integer" or "number".
    type: str
    default: float | None
    minimum: float
    #: The ceiling unless the administrator sets another (``cluster_limits``).
    maximum: float
    unit: str = ""
    help: str = ""
    #: Whether ``null`` is a value (the adapt bounds: null means a fixed size).
    nullable: bool = False

    def to_json(self, maximum: float, default: float | None) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type, "default": default,
                "minimum": self.minimum, "maximum": maximum, "unit": self.unit, "help": self.help,
                "nullable": self.nullable}


OPTIONS: tuple[ClusterOption, ...] = (
    ClusterOption("workers", "Workers", "integer", 1, 0, 8, help="Workers started now (a fixed size; see adapt)."),
    ClusterOption("cores_per_worker", "Cores per worker", "integer", 1, 1, 4, unit="cores",
                  help="Threads of each worker."),
    ClusterOption("memory_per_worker_gib", "Memory per worker", "number", 2.0, 0.25, 16.0, unit="GiB",
                  help="Memory each worker may use before it spills to disk and is restarted."),
    ClusterOption("adapt_minimum", "Adapt: fewest workers", "integer", None, 0, 8, nullable=True,
                  help="With adapt_maximum, the cluster grows and shrinks with its work between the two."),
    ClusterOption("adapt_maximum", "Adapt: most workers", "integer", None, 1, 8, nullable=True,
                  help="Most workers an adaptive cluster grows to; null: a fixed size."),
    ClusterOption("idle_timeout_s", "Idle timeout", "number", 1800.0, 1.0, 86400.0, unit="s",
                  help="Seconds without a task after which the server stops the cluster."),
)
BY_NAME = {option.name: option for option in OPTIONS}
#: The options bounded by the workers ceiling as well as their own.
_WORKER_COUNTS = ("workers", "adapt_minimum", "adapt_maximum")
#: Clusters one user may run at once, unless the administrator says otherwise.
DEFAULT_CLUSTERS_PER_USER = 2


@dataclass(frozen=True)
class ClusterLimits:
    """The administrator's ceilings: per option, and clusters per user."""

    maxima: dict[str, float] = field(default_factory=dict)
    clusters: int = DEFAULT_CLUSTERS_PER_USER

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ClusterLimits:
        """``c.RemotemApp.cluster_limits``, checked: known names, positive numbers."""
        unknown = set(config) - set(BY_NAME) - {"clusters"}
        if unknown:
            raise ValueError(f"cluster_limits: unknown {', '.join(sorted(unknown))}; known: "
                             f"{', '.join([*BY_NAME, 'clusters'])}.")
        for name, value in config.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"cluster_limits['{name}'] must be a number at least 0, not {value!r}.")
        maxima = {name: float(value) for name, value in config.items() if name != "clusters"}
        return cls(maxima, int(config.get("clusters", DEFAULT_CLUSTERS_PER_USER)))

    def maximum(self, name: str) -> float:
        option = BY_NAME[name]
        ceiling = self.maxima.get(name, option.maximum)
        if name in _WORKER_COUNTS and name != "workers":
            ceiling = min(ceiling, self.maxima.get("workers", BY_NAME["workers"].maximum))
        return ceiling

    def default(self, name: str) -> float | None:
        value = BY_NAME[name].default
        return None if value is None else min(value, self.maximum(name))

    def schema(self) -> dict[str, Any]:
        """What ``GET clusters/options`` answers (the backend adds its name)."""
        return {"options": [option.to_json(self.maximum(option.name), self.default(option.name)) for option in OPTIONS],
                "clusters_per_user": self.clusters}


@dataclass(frozen=True)
class ClusterOptions:
    """One cluster's checked options."""

    workers: int
    cores_per_worker: int
    memory_per_worker_gib: float
    adapt_minimum: int | None
    adapt_maximum: int | None
    idle_timeout_s: float

    @property
    def adaptive(self) -> bool:
        return self.adapt_maximum is not None

    def to_json(self) -> dict[str, Any]:
        return {option.name: getattr(self, option.name) for option in OPTIONS}


def _value(option: ClusterOption, raw: Any, limits: ClusterLimits) -> Any:
    if raw is None:
        if option.nullable:
            return None
        raise BadParameter(f"'{option.name}' must be a number.", hint=option.help)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw != raw:
        raise BadParameter(f"'{option.name}' must be a number, not {raw!r}.", hint=option.help)
    if option.type == "integer" and raw != int(raw):
        raise BadParameter(f"'{option.name}' must be a whole number, not {raw!r}.", hint=option.help)
    if raw < option.minimum:
        raise BadParameter(f"'{option.name}' must be at least {option.minimum:g}, not {raw:g}.", hint=option.help)
    ceiling = limits.maximum(option.name)
    if raw > ceiling:
        unit = f" {option.unit}" if option.unit else ""
        raise ClusterLimitExceeded(f"'{option.name}' may be at most {ceiling:g}{unit} on this server, not {raw:g}.",
                                   option=option.name, allowed=ceiling)
    return int(raw) if option.type == "integer" else float(raw)


def checked_options(body: Any, limits: ClusterLimits, current: ClusterOptions | None = None) -> ClusterOptions:
    """The options of ``body`` (missing ones: ``current``'s, else the defaults), each within its
    limits; the adapt bounds come as a pair, minimum at most maximum."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadParameter("The body must be a JSON object of cluster options.",
                           hint="GET remotem/api/clusters/options lists them.")
    unknown = set(body) - set(BY_NAME)
    if unknown:
        raise BadParameter(f"Unknown cluster options: {', '.join(sorted(unknown))}.",
                           hint=f"Options: {', '.join(BY_NAME)}.")
    values: dict[str, Any] = {}
    for option in OPTIONS:
        if option.name in body:
            values[option.name] = _value(option, body[option.name], limits)
        elif current is not None:
            values[option.name] = getattr(current, option.name)
        else:
            values[option.name] = limits.default(option.name)
    low, high = values["adapt_minimum"], values["adapt_maximum"]
    if (low is None) != (high is None):
        if high is not None:
            values["adapt_minimum"] = low = 0
        else:
            raise BadParameter("'adapt_minimum' needs 'adapt_maximum' (or both null for a fixed size).")
    if low is not None and high is not None and low > high:
        raise BadParameter(f"'adapt_minimum' ({low}) is more than 'adapt_maximum' ({high}).")
    return ClusterOptions(**values)
