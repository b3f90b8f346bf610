"""The server extension: every setting in one place, and the wiring of the layers.

Handlers receive one :class:`Services` object and never read configuration themselves, so the
same managers can be driven from tests, the CLI or a future worker process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, List, Unicode, default, validate

from .auth.hub_groups import OwnerGroups
from .auth.tokens import TokenStore
from .compute.cluster import ClusterManager
from .compute.preview import PreviewService
from .formats.dataset_cache import DatasetCache
from .jobs.models import utcnow
from .jobs.store import JobStore, default_database_url
from .jobs.supervisor import WorkerSupervisor
from .jobs.worker import STALE_AFTER_S
from . import metrics
from .limits import RequestLimits
from .storage.access import AccessPolicy
from .storage.hosts import DEFAULT_BLOCKED
from .storage.registry import RepositoryRegistry
from .storage.measured import MeasuredSpeeds
from .storage.speed import SpeedProbe, SpeedThresholds


def _in_pool(services: Services, work: Callable[..., Any], *args: Any) -> Callable[[], None]:
    """A tick that hands ``work(*args)`` to the services' thread pool, so the event loop never waits
    on the database or storage; once the pool is shut down (the server stopping) a tick does nothing."""

    def tick() -> None:
        try:
            services.executor.submit(work, *args)
        except RuntimeError:  # the pool is shut down while the server stops
            pass

    return tick


def _every(seconds: float, tick: Callable[[], None]) -> Any:
    """``tick`` on the event loop every ``seconds``, started (a tornado ``PeriodicCallback``)."""
    from tornado.ioloop import PeriodicCallback

    callback = PeriodicCallback(tick, seconds * 1000)
    callback.start()
    return callback


@dataclass
class Services:
    """The managers handlers talk to."""

    registry: RepositoryRegistry
    access: AccessPolicy
    speed: SpeedProbe
    previews: PreviewService
    executor: ThreadPoolExecutor
    request_timeout: float
    interactive_limit_s: float
    cluster: ClusterManager
    jobs: JobStore
    supervisor: WorkerSupervisor
    retention_days: float
    job_priorities: dict[str, Any]
    event_interval_s: float = 0.5
    #: Rounds of job housekeeping done, so tests and monitoring can wait on them.
    housekeeping_rounds: int = 0
    #: Looks for jobs of dead workers done (see jobs/recovery.py), likewise.
    recovery_rounds: int = 0
    server_owner: str = ""
    max_data_bytes: int = 256 * 1024**2
    #: Uploads (tus): largest file, seconds an unfinished one stays resumable, where remote ones wait.
    max_upload_bytes: int = 1024**4
    upload_expiry_s: float = 7 * 86400.0
    upload_staging_dir: str = ""
    quotas: dict[str, Any] = field(default_factory=dict)
    tokens: TokenStore | None = None
    owner_groups: OwnerGroups | None = None
    coarse_frames: int = 4096
    support_contact: str = ""
    limits: RequestLimits = field(default_factory=RequestLimits)
    #: Opened datasets kept warm between interactive reductions (formats/dataset_cache.py).
    datasets: DatasetCache = field(default_factory=DatasetCache)
    #: When this server started: direct saves held since before then were interrupted.
    started: datetime = field(default_factory=utcnow)
    #: Sky surveys for cutouts (``RemotemApp.surveys``) and the real-time pixel budget.
    surveys: list[dict[str, Any]] = field(default_factory=list)
    cutout_realtime_pixels: int = 4_000_000
    #: Positions one batch of cutouts may have (``POST cutouts/jobs``).
    cutout_batch_max: int = 100_000
    #: Members of these groups administer (``remotem/api/admin``, :mod:`.admin`).
    admin_groups: tuple[str, ...] = ()
    #: Sends e-mail when a job that asked for it ends (:mod:`.notify.mailer`); None: no mail server.
    mailer: Any = None
    #: Runs the footprint index jobs in this process when it starts no worker (:mod:`.cutouts.index_job`).
    index_runner: Any = None
    #: Whether it may (``RemotemApp.index_jobs_in_server``); False: they wait for a worker started elsewhere.
    index_jobs_in_server: bool = True
    #: The storages users add themselves (:mod:`.storage.own`); None: adding them is disabled.
    own_storages: Any = None
    #: Users' Dask clusters on demand (:mod:`.clusters.registry`); None: disabled.
    clusters: Any = None
    #: The administrator's prices (:class:`.jobs.costs.Prices`); None: nothing is priced.
    prices: Any = None

    def priced(self, quote: dict[str, Any], repository: str | None) -> dict[str, Any]:
        """``quote`` with its ``cost`` when prices are set: reading ``repository``, computing, and
        keeping what it writes for the retention period (:mod:`.jobs.costs`)."""
        from .jobs.costs import priced

        return priced(self.prices, quote, repository, self.retention_days)

    def registry_for(self, user: Any) -> RepositoryRegistry:
        """The configured repositories and the user's own storages, which only their owner sees."""
        return self.registry_of(self.owner_of(user))

    def registry_of(self, owner: str) -> RepositoryRegistry:
        """The configured repositories and ``owner``'s own storages (:mod:`.storage.own`)."""
        if self.own_storages is None or not owner:
            return self.registry
        return self.own_storages.registry_for(owner, self.registry)

    @cached_property
    def catalog(self) -> Any:
        """The catalog, in the job store's database (:mod:`.catalog`)."""
        from .catalog.store import CatalogStore

        return CatalogStore(self.jobs)

    @cached_property
    def dataset_store(self) -> Any:
        """Owned, shared and closed datasets, in the job store's database (:mod:`.datasets`)."""
        from .datasets.store import DatasetStore

        return DatasetStore(self.jobs)

    @cached_property
    def cutouts(self) -> Any:
        """Sky-survey cutouts: surveys, footprint index, opened tiles (:mod:`.cutouts`)."""
        from .cutouts.footprints import FootprintIndex
        from .cutouts.index_job import IndexJobs
        from .cutouts.service import CutoutService
        from .cutouts.surveys import SurveyCatalog

        catalog = SurveyCatalog.from_dicts(self.surveys, self.registry, self.access)
        indexing = IndexJobs(self.jobs, self._start_index_jobs)
        index = FootprintIndex(self.jobs, lambda survey: indexing.submit(survey).id)
        return CutoutService(catalog, index, self.cutout_realtime_pixels, indexing=indexing,
                             realtime_seconds=self.interactive_limit_s)

    def _start_index_jobs(self) -> None:
        """A worker for the footprint index jobs: this user's, or, when the server starts none,
        the server's own runner (its real-time cutouts need the index)."""
        if self.supervisor.enabled:
            self.supervisor.ensure_running()
            return
        if not self.index_jobs_in_server:
            return
        if self.index_runner is None:
            from .cutouts.index_job import LocalIndexRunner

            self.index_runner = LocalIndexRunner(self.jobs, self.registry)
        self.index_runner.kick()

    def check_survey_indexes(self) -> None:
        """At start: list each configured survey and queue the index jobs of those whose index
        lacks something (a new server's first cutouts then find their index built or on its way)."""
        service = self.cutouts
        for survey in service.catalog.surveys.values():
            try:
                service.index.ensure(survey, service.catalog.repository(survey))
            except Exception:  # noqa: BLE001 - one survey's storage down must not stop the others
                logging.getLogger(__name__).warning("jupyter_remotem: could not check the index of survey %s",
                                                    survey.name, exc_info=True)
        if any(service.indexing.active(name) for name in service.catalog.surveys):
            self._start_index_jobs()  # those an earlier server left queued or half-done

    @cached_property
    def speeds(self) -> MeasuredSpeeds:
        """Measured throughput per operation and repository (quotes, limits, advice)."""
        started_cap = self.supervisor.max_read_rate if self.supervisor.enabled else None
        return MeasuredSpeeds(self.jobs, self.speed, started_cap=started_cap)

    def owner_of(self, user: Any) -> str:
        """Whose jobs these are.  A single-user server belongs to one person; the hub's user model
        names them, otherwise the server's owner does (token logins get a fresh anonymous name
        per request, which must not split one person's jobs)."""
        hub_user = getattr(user, "hub_user", None)
        if isinstance(hub_user, dict) and hub_user.get("name"):
            return str(hub_user["name"])
        return self.server_owner

    def quota_of(self, user: Any, quote: dict[str, Any] | None = None) -> dict[str, Any]:
        """The user's limits and usage, and those of their groups' shared pools (``GET quota``);
        with a job's ``quote``, whether it fits all of them and, if not, why (``fits``, ``reason``)."""
        from .jobs.quotas import refusal, report, spending

        limits = self.limits_of(user)
        usage = self.jobs.usage(self.owner_of(user), limits.period_days)
        refusals = [refusal(limits, usage, quote, None)]
        pools = []
        for group, pool in self.pools_of(user).items():
            pool_usage = self.jobs.pool_usage(group, pool.period_days)
            shown = dict(report(pool, pool_usage), group=group)
            if self.prices is not None:
                shown["costs"] = spending(pool, pool_usage, self.prices.currency)
            pools.append(shown)
            refusals.append(refusal(pool, pool_usage, quote, group))
        answer = dict(report(limits, usage), pools=pools)
        if self.prices is not None:  # spent and budget in the period; without prices answers are unchanged
            answer["costs"] = spending(limits, usage, self.prices.currency)
        if quote is not None:
            found = next((r for r in refusals if r), None)
            answer.update(fits=found is None, reason=found[0] if found else None,
                          hint=found[1].default_hint if found else None)
            if found:  # the error a submission would be refused with: quota_exceeded or budget_exceeded
                answer["code"] = found[1].code
        return answer

    def require_quota(self, user: Any, quote: dict[str, Any]) -> None:
        """Refuse now, before any work, what creating the job would refuse (QuotaExceeded or
        BudgetExceeded): for work the server does before the job record is made (a direct save)."""
        from .jobs.quotas import require_fit

        limits = self.limits_of(user)
        require_fit(limits, self.jobs.usage(self.owner_of(user), limits.period_days), quote)
        for group, pool in self.pools_of(user).items():
            require_fit(pool, self.jobs.pool_usage(group, pool.period_days), quote, pool=group)

    def groups_of(self, user: Any) -> list[str]:
        from .storage.access import groups_of

        return sorted(groups_of(user, self.access.default_groups))

    def limits_of(self, user: Any) -> Any:
        from .jobs.quotas import limits_for

        return limits_for(self.quotas, self.owner_of(user), self.groups_of(user))

    def pools_of(self, user: Any) -> dict[str, Any]:
        """The shared quota pools of the user's groups."""
        from .jobs.quotas import pools_for

        return pools_for(self.quotas, self.groups_of(user))

    def priority_boost(self, user: Any) -> int:
        """Extra priority configured for this user and their groups (internal users first, say)."""
        users = self.job_priorities.get("users", {})
        groups = self.job_priorities.get("groups", {})
        boost = int(users.get(self.owner_of(user), 0))
        boost += max((int(groups[g]) for g in self.groups_of(user) if g in groups), default=0)
        return boost


class RemotemApp(ExtensionApp):
    """Browse, preview and reduce datasets in storage repositories."""

    name = "jupyter_remotem"
    load_other_extensions = True

    repositories = List(
        Dict(),
        default_value=[],
        help=(
            "Storage repositories. Each is a dict with 'name', 'url' (an fsspec URL such as "
            "'s3://bucket/prefix', 'webdav+https://host/path', 'memory://x' or a local path), and "
            "optionally 'storage_options' (passed to fsspec; never shown to users), 'description', "
            "'writable' (default False) and 'groups' (who may read it; default everyone). "
            "When empty, a 'demo' repository serves demo_data_dir."
        ),
    ).tag(config=True)

    demo_data_dir = Unicode(
        help="Folder of generated demo scans served as the 'demo' repository when no repositories are configured.",
    ).tag(config=True)

    generate_demo_data = Bool(
        True,
        help="Write small demo scans into demo_data_dir at start-up when it does not exist yet.",
    ).tag(config=True)

    home_repository = Unicode(
        "notebooks",
        help=(
            "Name of a writable repository serving the Jupyter server's root directory (beside the "
            "user's notebooks), where results and small datasets are copied for local work. Empty "
            "disables it; a configured repository with 'home': true takes its place."
        ),
    ).tag(config=True)

    user_groups = List(
        Unicode(),
        default_value=[],
        help=(
            "Groups of the user running this server, used for repository 'groups' when the "
            "identity provider (e.g. JupyterHub) does not supply them."
        ),
    ).tag(config=True)

    preview_size = Int(256, help="Longest side, in pixels, of preview images.").tag(config=True)

    preview_max_bytes = Int(
        64 * 1024**2,
        help="At most this many bytes are read for one preview; larger scans are sampled on a coarser grid.",
    ).tag(config=True)

    preview_cache_entries = Int(256, help="Number of rendered previews kept in memory.").tag(config=True)

    speed_probe_interval = Float(
        600.0, help="Seconds a repository speed measurement stays valid before it is measured again."
    ).tag(config=True)

    speed_green = Dict(
        default_value={"latency_ms": 20.0, "throughput_mb_s": 200.0},
        help="A repository at most this slow (latency) and at least this fast (throughput) shows green.",
    ).tag(config=True)

    speed_yellow = Dict(
        default_value={"latency_ms": 200.0, "throughput_mb_s": 20.0},
        help="Thresholds for yellow; anything slower shows red.",
    ).tag(config=True)

    hub_groups_refresh = Float(
        60.0,
        help=(
            "Seconds between asking JupyterHub for the owner's groups, which requests made with personal "
            "tokens then use (needs read:users:groups!user in c.Spawner.server_token_scopes); without it, "
            "a token keeps the groups its owner had when it was made."
        ),
    ).tag(config=True)

    request_timeout = Float(
        60.0, help="Seconds a storage request may take before the API answers 503 instead of hanging."
    ).tag(config=True)

    support_contact = Unicode(
        "",
        help=(
            "Whom to ask about an operation that cannot run remotely yet (an e-mail address or a URL); "
            "shown beside the reason in the viewer and in the client's error."
        ),
    ).tag(config=True)

    coarse_frames = Int(
        4096,
        help=(
            "Frames a coarse pass reads (a reduction asked with \"coarse\": true subsamples the scan to "
            "about this many positions), so that a dragged detector is answered at once on any scan size."
        ),
    ).tag(config=True)

    interactive_limit = Float(
        10.0,
        help="Seconds an interactive reduction may be expected to take; longer work must be submitted as a job.",
    ).tag(config=True)

    scheduler_address = Unicode(
        "",
        help=(
            "Address of an existing Dask scheduler (e.g. 'tcp://10.0.0.5:8786') for big work; "
            "empty starts a LocalCluster on first use."
        ),
    ).tag(config=True)

    cluster_backend = Unicode(
        "auto",
        help="Where users' clusters on demand (remotem/api/clusters) run: 'local' (a LocalCluster beside the "
             "server), 'gateway' (dask-gateway, as the hub user, with the server's JupyterHub API token), 'auto' "
             "(the gateway when cluster_gateway_address or DASK_GATEWAY__ADDRESS names one, else local), or "
             "'none' (disabled).",
    ).tag(config=True)

    cluster_gateway_address = Unicode(
        "", help="Address of the dask-gateway server (e.g. 'http://traefik-dask-gateway/'); empty: "
                 "$DASK_GATEWAY__ADDRESS.").tag(config=True)

    cluster_gateway_proxy_address = Unicode(
        "", help="The gateway's scheduler proxy address when it is not the gateway's own (dask-gateway's "
                 "proxy_address); empty: $DASK_GATEWAY__PROXY_ADDRESS, else the gateway's.").tag(config=True)

    cluster_gateway_auth = Unicode(
        "jupyterhub", help="How the server authenticates to the dask-gateway: 'jupyterhub' (its own JupyterHub API "
                           "token, as the hub user it belongs to), 'basic' or 'kerberos' (dask-gateway's auth "
                           "names).").tag(config=True)

    cluster_limits = Dict(
        default_value={},
        help="Ceilings of users' clusters, by option (workers, cores_per_worker, memory_per_worker_gib, "
             "adapt_minimum, adapt_maximum, idle_timeout_s) and 'clusters' (how many one user runs at once); "
             "missing ones keep the declared ceilings (GET remotem/api/clusters/options shows them).",
    ).tag(config=True)

    cluster_processes = Bool(
        True, help="Local clusters' workers are processes (True) or threads of the server (False: for tests and "
                   "small machines)."
    ).tag(config=True)

    cluster_idle_check_interval = Float(
        30.0, help="Seconds between looks for clusters idle for longer than their idle timeout (they are stopped)."
    ).tag(config=True)

    @validate("cluster_limits")
    def _validate_cluster_limits(self, proposal: dict[str, Any]) -> dict[str, Any]:
        from .clusters.options import ClusterLimits

        ClusterLimits.from_config(proposal["value"])
        return proposal["value"]

    @validate("cluster_backend")
    def _validate_cluster_backend(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in ("auto", "local", "gateway", "none"):
            raise ValueError(f"cluster_backend must be auto, local, gateway or none, not {proposal['value']!r}.")
        return proposal["value"]

    warm_up_kernels = Bool(
        True, help="Compile the numba kernels in a background thread at start-up, so the first preview is fast."
    ).tag(config=True)

    job_database_url = Unicode(
        "",
        help=(
            "SQLAlchemy URL of the job store: empty for a SQLite file in the Jupyter data folder, "
            "'postgresql://user@host/db' for a JupyterHub where several servers share one store."
        ),
    ).tag(config=True)

    job_retention_days = Float(
        7.0, help="Days after which a finished job's results are deleted and the job ARCHIVED."
    ).tag(config=True)

    quotas = Dict(
        default_value={},
        help=(
            "Storage and compute limits: {\"default\": {...}, \"users\": {name: {...}}, \"groups\": "
            "{name: {...}}}, each {\"storage_bytes\", \"compute_hours\", \"period_days\", \"budget\"} (a "
            "missing key is no limit; a budget is in the currency of prices, per period). A user's own entry "
            "wins, else the most generous of their groups', else the default. "
            "Jobs that would not fit are refused before they start, with the reason."
        ),
    ).tag(config=True)

    admin_groups = List(
        Unicode(),
        help="Groups whose members administer: they see every user's jobs, the queue, workers, throughput, "
             "quota use and estimates (remotem/api/admin, the lab's Admin panel) and may cancel, pause, resume, "
             "re-prioritise and requeue anyone's job. Under JupyterHub, groups as the hub says; elsewhere "
             "user_groups. A personal token also needs the 'admin' scope.",
    ).tag(config=True)

    smtp_host = Unicode("", help="Mail server for job notices (\"notify\": \"email\"); empty: no e-mail.").tag(
        config=True)
    smtp_port = Int(0, help="Its port; 0: 465 with smtp_security 'tls', 587 with 'starttls', else 25.").tag(
        config=True)
    smtp_security = Unicode("starttls", help="'none', 'starttls' (upgrade a plain connection) or 'tls' "
                                             "(TLS from the start).").tag(config=True)
    smtp_sender = Unicode("", help="The From address of job notices.").tag(config=True)
    smtp_username = Unicode("", help="User to log in to the mail server as; empty: no login.").tag(config=True)
    smtp_password = Unicode("", help="Password for smtp_username; never logged or shown.").tag(config=True)
    smtp_ca_file = Unicode("", help="Certificate authority file to trust for the mail server; empty: the "
                                    "system's.").tag(config=True)
    mail_interval = Float(10.0, help="Seconds between looks for ended jobs whose owner asked for e-mail.").tag(
        config=True)
    public_url = Unicode("", help="This server's URL as users reach it (links in e-mails), e.g. "
                                  "https://hub.example.org/user/ada/; empty: the server's own URL.").tag(config=True)

    @validate("smtp_security")
    def _validate_smtp_security(self, proposal: dict[str, Any]) -> str:
        from .notify.mailer import SECURITY

        if proposal["value"] not in SECURITY:
            raise ValueError(f"smtp_security must be one of {', '.join(SECURITY)}, not {proposal['value']!r}.")
        return proposal["value"]

    @validate("quotas")
    def _validate_quotas(self, proposal: dict[str, Any]) -> dict[str, Any]:
        from .jobs.quotas import check_config

        return check_config(proposal["value"])

    prices = Dict(
        default_value={},
        help=(
            "Prices of work, shown as the cost of every quote: {\"currency\": \"EUR\", \"per_gb_read\": 0.01, "
            "\"per_gb_read_by_repository\": {name: price}, \"per_gb_month_stored\": 0.02, \"per_core_hour\": "
            "0.05, \"per_gib_hour\": 0.005, \"job_cores\": 1} (GB = 10^9 bytes; a missing price is free; "
            "job_cores: the cores a job is charged for). Empty: nothing is priced. With prices a quota may "
            "hold a 'budget' in that currency per period."
        ),
    ).tag(config=True)

    @validate("prices")
    def _validate_prices(self, proposal: dict[str, Any]) -> dict[str, Any]:
        from .jobs.costs import Prices

        Prices.from_config(proposal["value"])
        return proposal["value"]

    def price_list(self) -> Any:
        """The prices, checked against the quotas: a budget needs a currency to be counted in."""
        from .jobs.costs import Prices
        from .jobs.quotas import has_budget

        prices = Prices.from_config(self.prices)
        if prices is None and has_budget(self.quotas):
            raise ValueError("A quota sets a 'budget' but no prices are set (RemotemApp.prices): "
                             "set a currency and prices, or remove the budget.")
        return prices

    surveys = List(
        Dict(),
        default_value=[],
        help=(
            "Sky surveys served as cutouts. Each is a dict with 'name', 'repository' (a configured "
            "repository), 'path' (the folder of its tiles), 'bands' (e.g. ['g', 'r', 'i']), and either "
            "'pattern' (tile file names, e.g. '{tile}_{band}.fits.fz') or 'tiles' ({tile: {band: path}}); "
            "optionally 'pixscale' (arcsec/pixel), 'groups' (who may use it; default everyone who may read "
            "the repository), 'hdu', 'planes' (planes beside the image in each tile file, e.g. "
            "{'weight': 'WGT', 'mask': 'MSK'}) and 'description'. When empty and no repositories are configured, the "
            "generated demo surveys are served."
        ),
    ).tag(config=True)

    @validate("surveys")
    def _validate_surveys(self, proposal: dict[str, Any]) -> list[dict[str, Any]]:
        from .cutouts.surveys import check_config

        return check_config(proposal["value"])

    cutout_realtime_pixels = Int(
        4_000_000,
        help="Output pixels (all bands together) one real-time cutout may have; a larger one answers 413 "
        "with the quote and the batch call to make instead.",
    ).tag(config=True)

    cutout_batch_max = Int(
        100_000,
        help="Positions one batch of cutouts (POST remotem/api/cutouts/jobs, UWS cutouts/async) may have; "
        "more is refused with 413 before anything runs.",
    ).tag(config=True)

    user_storage_protocols = List(
        Unicode(),
        default_value=["s3", "webdav", "sftp"],
        help="Protocols users may add storages of themselves, with their own credentials (remotem/api/storage): "
             "'s3', 'webdav' and 'sftp' are declared (their fields checked); any other fsspec protocol named here takes "
             "options and secrets as they are. Local files and memory are never allowed. Empty disables it.",
    ).tag(config=True)

    user_storage_known_hosts = Unicode(
        "",
        help="An OpenSSH known_hosts file whose host keys every user's SFTP storages trust, in the server and its "
             "workers. A server not listed there is trusted only once its user confirmed its key (the option "
             "'host_key', which the connection test offers with its fingerprint).",
    ).tag(config=True)

    user_storage_blocked_networks = List(
        Unicode(),
        default_value=list(DEFAULT_BLOCKED),
        help="Networks users' own storages may never reach, whatever a name resolves to: by default the link-local "
             "ranges where cloud metadata services answer. Add the hub's private networks (e.g. '10.0.0.0/8', "
             "'127.0.0.0/8') where users must not reach its services.",
    ).tag(config=True)

    user_storage_allowed_hosts = List(
        Unicode(),
        default_value=[],
        help="When set, the only hosts users' own storages may reach, as names or patterns ('*.example.org', "
             "'s3.eu-central-1.amazonaws.com'); empty: any host outside the blocked networks.",
    ).tag(config=True)

    credentials_key = Unicode(
        "",
        help="Key (Fernet: 32 url-safe base64 bytes) encrypting the credentials of users' own storages in the job "
             "database; a hub whose servers share one database gives every server the same key. Empty: a key made "
             "once in the user's Jupyter data folder (mode 0600). Secret: never logged or shown.",
    ).tag(config=True)

    @validate("credentials_key")
    def _validate_credentials_key(self, proposal: dict[str, Any]) -> str:
        from .storage.credentials import CredentialCipher

        if proposal["value"].strip():
            CredentialCipher(proposal["value"].strip())  # a ValueError that says the shape, never the key
        return proposal["value"]

    job_priorities = Dict(
        default_value={},
        help="Extra job priority by user and group, e.g. {'users': {'alice': 5}, 'groups': {'internal': 10}}.",
    ).tag(config=True)

    owner = Unicode(
        help="Name recorded as the owner of jobs from this server (default: $JUPYTERHUB_USER or the login name).",
    ).tag(config=True)

    @default("owner")
    def _default_owner(self) -> str:
        import getpass

        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    start_worker = Bool(
        True, help="Start a job worker (detached, outliving the server) when none is running."
    ).tag(config=True)

    index_jobs_in_server = Bool(
        True, help="When the server starts no worker (start_worker=False), run the surveys' footprint index "
        "jobs on a thread of the server, since its real-time cutouts need them. False leaves them queued for "
        "a worker started elsewhere (remotem-worker on another machine)."
    ).tag(config=True)

    worker_arguments = List(
        Unicode(),
        default_value=[],
        help=(
            "Extra options for the job worker the server starts, e.g. ['--max-read-rate', '200e6'] to "
            "leave shared storage to others, or ['--partition-bytes', '67108864']."
        ),
    ).tag(config=True)

    housekeeping_interval = Float(
        60.0, help="Seconds between rounds of job housekeeping (activity for the idle culler, retention)."
    ).tag(config=True)

    catalog_refresh = Float(
        0.0, help="Seconds between re-indexing runs of every repository for the catalog (0: only when asked, "
        "POST remotem/api/search/index). Each run is an index job that opens only what changed."
    ).tag(config=True)

    job_stale_after = Float(
        STALE_AFTER_S, help="Seconds without a heartbeat after which a running job's worker counts as gone and "
        "the job is queued again (workers report every second)."
    ).tag(config=True)

    job_recovery_interval = Float(
        2.0, help="Seconds between looks for jobs whose worker died (a free worker lock, a stale "
        "heartbeat); such jobs are queued again and a worker is started. Also done at start-up."
    ).tag(config=True)

    max_upload_bytes = Int(
        1024**4, help="Largest file, in bytes, one upload (tus, POST remotem/api/uploads) may send (413)."
    ).tag(config=True)

    upload_expiry_days = Float(
        7.0, help="Days an unfinished upload stays resumable; then its partial file is removed."
    ).tag(config=True)

    max_data_bytes = Int(
        256 * 1024**2, help="Largest slice, in bytes, that GET .../data/{path}?slice= answers with."
    ).tag(config=True)

    io_threads = Int(8, help="Threads for storage and format I/O, so the event loop never blocks.").tag(config=True)

    dataset_cache_entries = Int(
        16,
        help=(
            "Opened datasets (a file's parsed header and memory map) kept warm between interactive "
            "reductions, so a dragged detector does not reopen and re-map the file; 0 disables. Entries are "
            "re-checked against the file (containment, inode, size, times) on every request."
        ),
    ).tag(config=True)
    dataset_cache_bytes = Int(
        64 * 1024**3,
        help="Bytes of files the warm datasets may keep mapped in all (least recently used are dropped first).",
    ).tag(config=True)

    # -- request limits: what one request may ask, checked before any work (see limits.py) --------
    _limits = RequestLimits()
    max_body_bytes = Int(_limits.max_body_bytes, help="Bytes of a request body; a longer one answers 413.").tag(
        config=True)
    max_json_depth = Int(_limits.max_json_depth, help="Nesting depth of JSON in a body or query argument (400).").tag(
        config=True)
    max_list_items = Int(
        _limits.max_list_items, help="Items of any one JSON list or object of a body (detectors, vertices, rows) (413)."
    ).tag(config=True)
    max_json_values = Int(
        _limits.max_json_values,
        help="Values (numbers, strings, lists, objects) of one JSON body, which bounds the memory of parsing it (413).",
    ).tag(config=True)
    max_detectors = Int(_limits.max_detectors, help="Detectors of one virtual_detector request (413).").tag(config=True)
    max_polygon_vertices = Int(
        _limits.max_polygon_vertices, help="Vertices of all polygons of one request's detectors, and of its ROI (413)."
    ).tag(config=True)
    max_mask_pixels = Int(
        _limits.max_mask_pixels,
        help="Detectors times frame pixels: the mask stack one request may build; one detector always fits (413).",
    ).tag(config=True)
    max_result_bytes = Int(
        _limits.max_result_bytes, help="Bytes of the arrays an interactive reduction answers with (413)."
    ).tag(config=True)
    max_pipeline_steps = Int(_limits.max_pipeline_steps, help="Steps of a crop/bin/cast pipeline (413).").tag(
        config=True)
    max_slice_dims = Int(_limits.max_slice_dims, help="Indices of a GET data ?slice= (400).").tag(config=True)
    del _limits

    @validate("max_body_bytes", "max_json_depth", "max_list_items", "max_json_values", "max_detectors",
              "max_polygon_vertices", "max_mask_pixels", "max_result_bytes", "max_pipeline_steps", "max_slice_dims")
    def _validate_limit(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] < 1:
            raise ValueError(f"{proposal['trait'].name} must be at least 1, not {proposal['value']}.")
        return proposal["value"]

    def request_limits(self) -> RequestLimits:
        """The request limits as configured (one field per traitlet above)."""
        from dataclasses import fields

        return RequestLimits(**{f.name: int(getattr(self, f.name)) for f in fields(RequestLimits)})

    @default("demo_data_dir")
    def _default_demo_data_dir(self) -> str:
        from jupyter_core.paths import jupyter_data_dir

        return os.path.join(jupyter_data_dir(), "remotem", "demo")

    @validate("repositories")
    def _validate_repositories(self, proposal: dict[str, Any]) -> list[dict[str, Any]]:
        from .storage.repository import RepositoryConfig

        names = set()
        for raw in proposal["value"]:
            config = RepositoryConfig.from_dict(raw)
            if config.name in names:
                raise ValueError(f"Repository name {config.name!r} is used twice.")
            names.add(config.name)
        return proposal["value"]

    def _repository_configs(self) -> list[dict[str, Any]]:
        return self._data_repositories() + self._home_repository()

    def _data_repositories(self) -> list[dict[str, Any]]:
        if self.repositories:
            return list(self.repositories)
        if self.generate_demo_data and not os.path.isdir(self.demo_data_dir):
            from .demo import generate

            self.log.info("jupyter_remotem: writing demo scans to %s", self.demo_data_dir)
            generate(self.demo_data_dir, size="small")
        return [
            {
                "name": "demo",
                "url": self.demo_data_dir,
                "description": "Generated 4D-STEM demo scans",
                "writable": True,
            }
        ]

    def _survey_configs(self) -> list[dict[str, Any]]:
        """The configured surveys; the demo repository's generated ones when nothing is configured."""
        if self.surveys or self.repositories:
            return list(self.surveys)
        from .cutouts.demo import surveys

        return surveys("demo", "sky") if os.path.isdir(os.path.join(self.demo_data_dir, "sky")) else []

    def _home_repository(self) -> list[dict[str, Any]]:
        configured = self.repositories
        if not self.home_repository or any(r.get("home") or r.get("name") == self.home_repository
                                           for r in configured):
            return []
        root = getattr(self.serverapp, "root_dir", None) if self.serverapp is not None else None
        if not root:
            return []
        return [{"name": self.home_repository, "url": os.path.abspath(root), "writable": True, "home": True,
                 "description": "Your notebook folder, for local copies of results and small datasets"}]

    def initialize_settings(self) -> None:
        repository_configs = self._repository_configs()
        registry = RepositoryRegistry.from_dicts(repository_configs)
        database_url = self.job_database_url or default_database_url()
        jobs = JobStore(database_url)
        executor = ThreadPoolExecutor(max_workers=self.io_threads, thread_name_prefix="remotem-io")
        own_storages = self._own_storages(jobs, registry)
        services = Services(
            registry=registry,
            access=AccessPolicy(default_groups=tuple(self.user_groups)),
            speed=SpeedProbe(
                interval=self.speed_probe_interval,
                thresholds=SpeedThresholds.from_config(self.speed_green, self.speed_yellow),
                executor=executor,
                log=self.log,
            ),
            previews=PreviewService(
                size=self.preview_size,
                max_bytes=self.preview_max_bytes,
                cache_entries=self.preview_cache_entries,
            ),
            executor=executor,
            request_timeout=self.request_timeout,
            interactive_limit_s=self.interactive_limit,
            coarse_frames=self.coarse_frames,
            support_contact=self.support_contact.strip(),
            cluster=ClusterManager(self.scheduler_address),
            jobs=jobs,
            supervisor=WorkerSupervisor(
                database_url, repository_configs, self._state_dir(), enabled=self.start_worker,
                stale_after_s=self.job_stale_after,
                credentials_key=own_storages.cipher.key if own_storages is not None else "",
                user_storage_site=own_storages.site.to_config() if own_storages is not None else None,
                extra_arguments=(["--scheduler", self.scheduler_address] if self.scheduler_address else [])
                + list(self.worker_arguments),
            ),
            retention_days=self.job_retention_days,
            job_priorities=dict(self.job_priorities),
            quotas=dict(self.quotas),
            prices=self.price_list(),
            tokens=TokenStore(jobs.engine),
            owner_groups=OwnerGroups.from_environment(self.hub_groups_refresh, self.log),
            server_owner=self.owner,
            max_data_bytes=self.max_data_bytes,
            max_upload_bytes=self.max_upload_bytes,
            upload_expiry_s=self.upload_expiry_days * 86400.0,
            upload_staging_dir=str(self._state_dir() / "uploads"),
            limits=self.request_limits(),
            datasets=DatasetCache(self.dataset_cache_entries, self.dataset_cache_bytes),
            surveys=self._survey_configs(),
            cutout_realtime_pixels=self.cutout_realtime_pixels,
            cutout_batch_max=self.cutout_batch_max,
            admin_groups=tuple(self.admin_groups),
            own_storages=own_storages,
            index_jobs_in_server=self.index_jobs_in_server,
        )
        services.mailer = self._mailer(jobs)
        services.clusters = self._clusters()
        self.settings["remotem"] = services
        metrics.COLLECTOR.watch(services)  # /metrics reads the job store of this server
        self._start_housekeeping(services)
        self._start_mailer(services)
        self._start_cluster_culler(services)
        if services.surveys:
            executor.submit(services.check_survey_indexes)
        if self.warm_up_kernels:
            from .kernels import warm_up

            executor.submit(warm_up)
        self.log.info(
            "jupyter_remotem: serving repositories %s", ", ".join(r.name for r in registry.all())
        )

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Kernels inherit the server's environment: tell them where the server is, so that
        ``remotem.connect()`` in a notebook needs no arguments.  This hook runs once the server
        has chosen its port, which ``initialize_settings`` is too early to know."""
        from .client.discovery import kernel_environment

        os.environ.update(kernel_environment(serverapp))

    def _start_housekeeping(self, services: Services) -> None:
        from .jobs.housekeeping import recover_jobs, tick

        self._housekeeping = _every(self.housekeeping_interval,
                                    _in_pool(services, tick, services, self.serverapp.web_app.settings))
        # Jobs left QUEUED, or EXECUTING by a worker that died with the machine, get a worker at
        # once, not after the first housekeeping round.
        look = _in_pool(services, recover_jobs, services)
        look()
        self._recovery = _every(self.job_recovery_interval, look)
        self._catalog_refresh = None
        if self.catalog_refresh > 0:
            from .catalog.schedule import refresh

            reindex = _in_pool(services, refresh, services)
            reindex()
            self._catalog_refresh = _every(self.catalog_refresh, reindex)

    def _own_storages(self, jobs: JobStore, registry: RepositoryRegistry) -> Any:
        """Users' own storages, unless no protocol is allowed (:mod:`.storage.own`)."""
        if not self.user_storage_protocols:
            return None
        from .storage.credentials import CredentialCipher
        from .storage.own import OwnStorages

        try:
            cipher = CredentialCipher.configured(self.credentials_key)
        except OSError as error:  # no data folder to keep a generated key in: the rest still serves
            self.log.warning("jupyter_remotem: users' own storages are off: no credentials key (%s)",
                             type(error).__name__)
            return None
        return OwnStorages(jobs, cipher, lambda: [repo.name for repo in registry.all()],
                           self.user_storage_protocols, self._user_storage_site())

    def _user_storage_site(self) -> Any:
        """How users' storages are opened, in the server and its worker (:class:`.storage.own.Site`)."""
        from .storage.hosts import HostPolicy
        from .storage.own import Site

        return Site(known_hosts=self.user_storage_known_hosts,
                    hosts=HostPolicy(tuple(self.user_storage_blocked_networks), tuple(self.user_storage_allowed_hosts)))

    def _clusters(self) -> Any:
        """Users' clusters on demand, on the configured backend (:mod:`.clusters`); None: disabled."""
        from .clusters.backends import GatewayBackend, LocalBackend
        from .clusters.channel import FILE_NAME, ClusterChannel
        from .clusters.options import ClusterLimits
        from .clusters.registry import ClusterRegistry

        address = self.cluster_gateway_address or GatewayBackend.address_from_environment()
        chosen = self.cluster_backend
        if chosen == "none":
            return None
        if chosen == "gateway" or (chosen == "auto" and address):
            if not address:
                self.log.warning("jupyter_remotem: clusters on demand are off: cluster_backend 'gateway' needs "
                                 "cluster_gateway_address or $DASK_GATEWAY__ADDRESS")
                return None
            proxy = self.cluster_gateway_proxy_address or os.environ.get("DASK_GATEWAY__PROXY_ADDRESS", "")
            backend: Any = GatewayBackend(address, proxy or None, auth=self.cluster_gateway_auth)
        else:
            backend = LocalBackend(processes=self.cluster_processes)
        return ClusterRegistry(backend, ClusterLimits.from_config(self.cluster_limits),
                               ClusterChannel(self._state_dir() / FILE_NAME), prices=self.price_list())

    def _start_cluster_culler(self, services: Services) -> None:
        self._cluster_culler = None
        if services.clusters is not None:
            self._cluster_culler = _every(self.cluster_idle_check_interval, _in_pool(services, services.clusters.cull))

    def _mailer(self, jobs: JobStore) -> Any:
        """The sender of job notices, when a mail server is configured."""
        from .notify.mailer import Mailer, SmtpSettings

        if not self.smtp_host:
            return None
        settings = SmtpSettings(self.smtp_host, self.smtp_port, self.smtp_security, self.smtp_sender,
                                self.smtp_username, self.smtp_password, ca_file=self.smtp_ca_file or None)
        public = self.public_url or (getattr(self.serverapp, "connection_url", "") if self.serverapp else "")
        return Mailer(jobs, settings, self.owner, public.replace("{username}", self.owner), self.log)

    def _start_mailer(self, services: Services) -> None:
        self._mail = None
        if services.mailer is not None:
            self._mail = _every(self.mail_interval, _in_pool(services, services.mailer.round))

    def _state_dir(self) -> Path:
        from jupyter_core.paths import jupyter_data_dir

        return Path(jupyter_data_dir()) / "remotem" / "worker"

    def initialize_handlers(self) -> None:
        from .handlers import routes

        self.handlers.extend(routes())

    async def stop_extension(self) -> None:
        services: Services | None = self.settings.get("remotem")
        if getattr(self, "_housekeeping", None) is not None:
            self._housekeeping.stop()
        if getattr(self, "_recovery", None) is not None:
            self._recovery.stop()
        if getattr(self, "_catalog_refresh", None) is not None:
            self._catalog_refresh.stop()
        if getattr(self, "_mail", None) is not None:
            self._mail.stop()
        if getattr(self, "_cluster_culler", None) is not None:
            self._cluster_culler.stop()
        if services is not None:
            if services.index_runner is not None:  # its thread ends with the server
                import asyncio

                await asyncio.to_thread(services.index_runner.stop)
            services.executor.shutdown(wait=False, cancel_futures=True)
            services.cluster.close()
            if services.clusters is not None:  # users' clusters end with their server
                import asyncio

                await asyncio.to_thread(services.clusters.close_all)
            services.jobs.close()


main = launch_new_instance = RemotemApp.launch_instance
