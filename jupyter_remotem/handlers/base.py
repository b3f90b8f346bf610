"""What every REST handler shares: JSON errors, off-loop I/O, parameter parsing, request limits.

Handlers stay thin: parse and validate the request, authorise, call one manager in a worker
thread, answer.  All failures leave through :meth:`RemotemHandler.write_error`, which is the
only place that formats an error body.

Bodies are streamed in and kept only up to ``max_body_bytes`` (more is read and dropped, so
the client still hears a clean 413), and JSON is checked for size, depth and counts before it
is parsed (:mod:`..limits`).  A personal token in the URL is refused and masked in the request
line before anything logs it: URLs end up in access logs, proxies and browser histories.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from jupyter_server.auth import User
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from .. import limits as request_limits
from .. import metrics
from ..auth.code_senders import mark_request
from ..notify import request as notify_request
from ..compute.transformations import use_repositories
from ..auth import scopes
from ..auth.reach import OutsideReach, Place, Reach, places_named
from ..auth.tokens import PREFIX, presented
from ..errors import (
    BadParameter,
    DatasetClosed,
    Forbidden,
    NotFound,
    RemotemError,
    StorageUnavailable,
    TooLarge,
    Unauthorized,
    from_http_status,
)
from ..datasets.store import Person
from ..storage.repository import Repository

T = TypeVar("T")


def token_user(token: Any, groups: list[str] | None = None) -> User:
    """The user a personal token stands for, shaped like a hub user so ownership and group
    visibility treat it exactly as its owner: with ``groups`` (the owner's current ones, when the
    hub told them), else the groups stored with the token."""
    user = User(username=f"{token.owner} (token {token.name})", name=token.owner)
    chosen = list(token.groups or []) if groups is None else list(groups)
    user.hub_user = {"name": token.owner, "groups": chosen}  # type: ignore[attr-defined]
    return user


#: A personal token's secret as it is made (``PREFIX`` + ``secrets.token_urlsafe(32)``).
_SECRET = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]{43}")


def secret_in_query(query: str) -> bool:
    """Whether a query string carries a personal token: as ``token=`` or shaped like one anywhere."""
    for name, value in parse_qsl(query, keep_blank_values=True):
        if (name == "token" and value.startswith(PREFIX)) or _SECRET.search(value) or _SECRET.search(name):
            return True
    return False


def masked_query(query: str) -> str:
    """``query`` with every value that may be a personal token replaced, for the request line
    that jupyter_server's access log prints."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(_SECRET.sub("[secret]", name),
                       "[secret]" if value.startswith(PREFIX) else _SECRET.sub("[secret]", value))
                      for name, value in pairs])


@web.stream_request_body
class RemotemHandler(ExtensionHandlerMixin, APIHandler):
    """Base class of all jupyter_remotem API handlers."""

    #: The body received so far (at most ``max_body_bytes``), and whether more was sent.
    _body: bytearray | None = None
    _body_too_large: bool = False

    @property
    def services(self) -> Any:
        return self.settings["remotem"]

    #: The personal token this request came with (None for a logged-in session or Jupyter's token).
    api_token: Any = None
    #: The scope a personal token needs for each method, where it is not the method's usual one
    #: (:data:`..auth.scopes.BY_METHOD`: GET reads, anything else writes).
    required_scopes: dict[str, str] = {}

    #: Whether a token restricted to places (:mod:`..auth.reach`) may use this endpoint: its
    #: answers come from repositories it gets through :meth:`repository` (so they are confined),
    #: or are filtered by place.  Endpoints answering across repositories leave it False.
    serves_reach: bool = False
    #: The places a restricted token may reach in this request (None: no restriction).
    reach: Reach | None = None

    def required_scope(self) -> str:
        return scopes.required(self.request.method or "GET", self.required_scopes)

    async def prepare(self) -> None:
        """A personal token (``Authorization: token rmt_...``) opens this API, and only this API:
        it is checked here, before Jupyter's own authentication, and stands for its owner with
        their current groups when the hub tells them (:mod:`..auth.hub_groups`), else those they
        had when it was made.  Browsers never send it by themselves, so requests that
        carry it need no XSRF cookie.  In the URL it is refused (and masked first)."""
        request_limits.use(self.services.limits)
        self._body = bytearray()
        declared = self.request.headers.get("Content-Length", "")
        self._body_too_large = declared.isdigit() and int(declared) > self.services.limits.max_body_bytes
        if self.request.query and secret_in_query(self.request.query):
            self._refuse_secret_in_url()
        secret = presented(self.request.headers.get("Authorization"))
        mark_request(from_token=secret is not None)
        use_repositories(self.repository)  # reference frames a request names: only what its user may read
        if secret is None:
            await super().prepare()
            self._mark_notify()
            return
        if not self.check_host():
            raise web.HTTPError(403)
        token = await self.run_blocking(self.services.tokens.verify, secret, self.services.server_owner)
        if token is None:
            self.current_user = self._jupyter_current_user = None
            raise Unauthorized("This personal token is not valid: it was revoked, has expired, or is mistyped.",
                               hint="Make a new one (POST remotem/api/tokens from a logged-in session).")
        self.api_token = token
        needed = self.required_scope()
        if needed not in token.granted:
            self.current_user = self._jupyter_current_user = None
            raise Forbidden(f"This personal token ('{token.name}') lacks the '{needed}' scope this request needs; "
                            f"it has {', '.join(token.granted)}.",
                            hint=f"Make a token with the '{needed}' scope (POST remotem/api/tokens with \"scopes\").",
                            missing_scope=needed)
        owner_groups = self.services.owner_groups
        groups = await owner_groups.current() if owner_groups is not None else None
        self.current_user = self._jupyter_current_user = token_user(token, groups)
        if token.reach is not None:
            if not self.serves_reach:
                self.current_user = self._jupyter_current_user = None
                raise OutsideReach(f"This personal token ('{token.name}') is restricted to places, and this endpoint "
                                   "answers across them.",
                                   hint="Use a token without a reach here, or a logged-in session.")
            self.reach = await self.run_blocking(self._reach_of, token)
        self.set_cors_headers()
        self._mark_notify()

    def _mark_notify(self) -> None:
        """``?notify=email``, for requests that make a job without a JSON body (a dataset's close
        or verify); a body's ``"notify"`` is taken by :meth:`json_body` (notify/request.py)."""
        if self.current_user is not None and self.get_query_argument("notify", None) is not None:
            notify_request.mark(self.get_query_argument("notify"))

    def _reach_of(self, token: Any) -> Reach:
        """The token's places, its datasets' locations among them (a dataset its owner no longer
        sees reaches nothing)."""
        places = []
        for entry in token.reach:
            if "dataset" in entry:
                try:
                    places.append(Place(*self.services.dataset_store.location(self._unconfined_person(),
                                                                               entry["dataset"])))
                except NotFound:
                    continue
            else:
                places.append(Place(entry["repository"], entry["path"]))
        return Reach(token.name, places)

    def _refuse_secret_in_url(self) -> None:
        query = masked_query(self.request.query)
        self.request.query = query
        self.request.uri = f"{self.request.path}?{query}"
        self.request.query_arguments = {}
        self.request.arguments = {}
        self.current_user = self._jupyter_current_user = None
        raise Unauthorized(
            "A personal token in the URL is refused: URLs are written to access logs, proxies and browser "
            "histories, so this token should be treated as leaked.",
            hint="Revoke it (DELETE remotem/api/tokens/{id}), make a new one, and send it in the header "
                 "'Authorization: token rmt_...'.",
        )

    def data_received(self, chunk: bytes) -> None:
        """Keep the body up to ``max_body_bytes``; drop the rest, so memory stays bounded and the
        client, which is still sending, reads a 413 instead of a reset connection."""
        if self._body_too_large or self._body is None:
            return
        if len(self._body) + len(chunk) > self.services.limits.max_body_bytes:
            self._body_too_large = True
            self._body = bytearray()
            return
        self._body.extend(chunk)

    # -- errors --------------------------------------------------------------------------------
    def on_finish(self) -> None:
        """Every answer counts in the metrics (``/metrics``), by handler, method and status."""
        metrics.request_finished(type(self).__name__, self.request.method or "GET", self.get_status(),
                                 self.request.request_time())
        super().on_finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, RemotemError):
            self.set_status(error.status)
            body = error.to_json()
            if error.details.get("retry_after"):  # 503 index_pending: when to ask again
                self.set_header("Retry-After", str(int(error.details["retry_after"])))
        elif isinstance(error, web.HTTPError):
            body = from_http_status(status_code, error.log_message or self._reason)
        else:
            body = from_http_status(status_code, "Internal error." if status_code >= 500 else self._reason)
        self.clear_header("Content-Type")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, RemotemError):
            # An expected refusal: one line, no traceback, no request body (it may hold secrets).
            self.log.info("%s %s -> %s %s", self.request.method, self.request.path, value.status, value.code)
            return
        super().log_exception(typ, value, tb)

    # -- helpers -------------------------------------------------------------------------------
    async def run_blocking(self, function: Callable[..., T], *args: Any) -> T:
        """Run storage or format work in the I/O pool, bounded by the request timeout."""
        loop = asyncio.get_running_loop()
        # The request's limits (a context variable) go along into the thread.
        future = loop.run_in_executor(self.services.executor, contextvars.copy_context().run, function, *args)
        try:
            return await asyncio.wait_for(future, timeout=self.services.request_timeout)
        except asyncio.TimeoutError:
            raise StorageUnavailable(
                f"The request took longer than {self.services.request_timeout:.0f} s.",
                hint="The storage may be slow or unreachable; try again, or submit the work as a job.",
            ) from None

    @property
    def owner(self) -> str:
        """Whose jobs and results the caller sees (see :meth:`Services.owner_of`)."""
        return self.services.owner_of(self.current_user)

    @cached_property
    def registry(self) -> Any:
        """The repositories of this request: the configured ones and the caller's own storages."""
        return self.services.registry_for(self.current_user)

    def repository(self, name: str) -> Repository:
        """The named repository if the current user may read it (404 otherwise)."""
        repo = self.services.access.check_read(self.current_user, self.registry.get(name))
        return self.reach.confine(repo) if self.reach is not None else repo

    async def refuse_closed(self, repository: str, *paths: str) -> None:
        """Refuse (409 ``dataset_closed``) a change at any of ``paths`` that would change a closed
        dataset: its files, a file added to it, or a folder holding it."""
        for path in paths:
            holder = await self.run_blocking(self.services.dataset_store.closed_at, repository, path)
            if holder is not None:
                raise DatasetClosed(
                    f"'{path or '/'}' in '{repository}' would change the closed dataset '{holder['name']}' "
                    f"('{holder['path'] or '/'}'): its files stay as its manifest records them.",
                    dataset=holder["id"])

    def within_reach(self, job: Any) -> Any:
        """``job`` when the caller may see it: always, unless a restricted token asks, which sees
        a job only when every place its request names (or its dataset) is within reach (404
        otherwise, as for anyone else's job)."""
        if self.reach is None:
            return job
        places = list(places_named(job.request))
        dataset = job.request.get("dataset") if isinstance(job.request, dict) else None
        if isinstance(dataset, str):
            try:
                places.append(self.services.dataset_store.location(self.person, dataset))
            except NotFound:
                places.append(("", "\0"))  # a dataset it cannot see: never within reach
        if not places or not self.reach.allows_places(places):
            raise NotFound(f"There is no job '{job.id}'.", hint="GET remotem/api/jobs lists yours.")
        return job

    def _unconfined_person(self) -> Person:
        services = self.services
        readable = frozenset(repo.name for repo in services.access.visible(self.current_user,
                                                                           self.registry.all()))
        return Person(services.owner_of(self.current_user) or "anonymous",
                      frozenset(services.groups_of(self.current_user)), readable)

    @cached_property
    def person(self) -> Person:
        """The caller as datasets see them: name, groups, the repositories they may read (for a
        restricted token, only those its places lie in)."""
        person = self._unconfined_person()
        if self.reach is None:
            return person
        return replace(person, readable=person.readable & {place.repository for place in self.reach.places})

    def write_json(self, payload: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def query_int(self, name: str, default: int | None = None) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadParameter(f"Query parameter '{name}' must be an integer, not '{raw}'.") from None

    def json_body(self) -> Any:
        """The body as JSON (None when empty), refused before parsing when it exceeds the limits."""
        limits = self.services.limits
        if self._body_too_large:
            raise TooLarge(f"The request body is larger than {limits.max_body_bytes:,} bytes (limit max_body_bytes).",
                           hint="Send fewer or simpler detectors (a weights mask instead of many shapes), or split "
                                "the work into several requests.", limit="max_body_bytes",
                           allowed=limits.max_body_bytes)
        body = bytes(self._body or b"")
        if not body.strip():
            return None
        # "notify" is for every request that makes a job, of any kind (notify/request.py).
        return notify_request.take(request_limits.parse_json(body, limits))

    def query_json(self, name: str) -> Any:
        """A query argument holding JSON (None when absent), checked like a body."""
        text = self.get_query_argument(name, None)
        if text is None or text == "":
            return None
        return request_limits.parse_json(text, self.services.limits, f"Query argument '{name}'")

    def query_float(self, name: str, default: float | None = None) -> float | None:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            raise BadParameter(f"Query parameter '{name}' must be a number, not '{raw}'.") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise BadParameter(f"Query parameter '{name}' must be finite.")
        return value


class NotFoundHandler(RemotemHandler):
    """Unknown URLs under the API prefix answer JSON, not an HTML page, and only to someone
    logged in: an anonymous caller learns nothing about which URLs exist."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.current_user is None:
            raise web.HTTPError(403)  # as @authenticated answers on every other endpoint
        raise web.HTTPError(404, "No such API endpoint.")
