"""One HTTP session to a Jupyter server's remotem API, and what it has measured about the link.

Every request goes through :meth:`Connection.request`, which maps failures to exceptions and
keeps two running measurements: the round-trip latency of small requests and the throughput of
data transfers.  Those numbers (not guesses) decide when the client warns that a transfer will
be slow, or that working on a local copy would be faster than asking the server again.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import requests

from .discovery import ServerAddress
from .errors import BadRequest, Interrupted, Unavailable, error_from_answer
from .interrupt import InterruptibleAdapter, current

T = TypeVar("T")
R = TypeVar("R")

#: Answers at most this large count as latency samples; larger ones as throughput samples.
SMALL_ANSWER_BYTES = 64 * 1024
#: Weight of a new sample in the running averages.
SMOOTHING = 0.3


@dataclass
class LinkMeasurements:
    """Running averages over this connection's requests (thread-safe)."""

    latency_s: float | None = None
    throughput_bytes_s: float | None = None
    requests: int = 0
    bytes_received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, seconds: float, nbytes: int, server_seconds: float = 0.0) -> None:
        """One request: ``seconds`` from send to last byte, ``server_seconds`` of it spent computing."""
        with self._lock:
            self.requests += 1
            self.bytes_received += nbytes
            wire = max(seconds - server_seconds, 1e-6)
            if nbytes <= SMALL_ANSWER_BYTES:
                self.latency_s = _blend(self.latency_s, wire)
            else:
                transfer = max(wire - (self.latency_s or 0.0), 1e-6)
                self.throughput_bytes_s = _blend(self.throughput_bytes_s, nbytes / transfer)

    def transfer_seconds(self, nbytes: int, fallback_bytes_s: float | None = None) -> float | None:
        """Expected seconds to receive ``nbytes`` in one answer; None before anything is known."""
        rate = self.throughput_bytes_s or fallback_bytes_s
        if rate is None:
            return None
        return (self.latency_s or 0.0) + nbytes / rate


def _blend(old: float | None, new: float) -> float:
    return new if old is None else (1 - SMOOTHING) * old + SMOOTHING * new


def path_in_url(path: str) -> str:
    """A repository path as URL segments, each percent-encoded (names may hold spaces, ``#``, ``?``).

    Dot segments are encoded too: an HTTP library would otherwise resolve ``..`` itself and ask
    for a different resource, where the server should see (and refuse) the path as written."""
    return "/".join(_segment(segment) for segment in path.strip("/").split("/") if segment)


def _segment(segment: str) -> str:
    return segment.replace(".", "%2E") if set(segment) == {"."} else quote(segment, safe="")


class Connection:
    """A ``requests.Session`` to one server, authenticated with its token, plus a thread pool
    for parallel chunk fetches and the link measurements."""

    def __init__(self, address: ServerAddress, timeout: float = 120.0, parallel: int = 4) -> None:
        self.address = address
        self.timeout = timeout
        self.parallel = parallel
        self.measurements = LinkMeasurements()
        self._session: requests.Session | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------
    @property
    def session(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                session = requests.Session()
                if self.address.token:
                    session.headers["Authorization"] = f"token {self.address.token}"
                adapter = InterruptibleAdapter(pool_maxsize=max(10, self.parallel * 2))
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                self._session = session
            return self._session

    def api_url(self, *parts: str) -> str:
        return self.address.url + "remotem/api/" + "/".join(p for p in parts if p)

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (for Dask workers): the session, pool and lock are rebuilt on the other side."""
        return {"address": self.address, "timeout": self.timeout, "parallel": self.parallel}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["address"], state["timeout"], state["parallel"])  # type: ignore[misc]

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self._session is not None:
                self._session.close()
                self._session = None

    # -- requests --------------------------------------------------------------------------
    def request(self, method: str, *parts: str, params: dict[str, Any] | None = None,
                body: Any = None) -> requests.Response:
        """One API call; a failed answer raises the matching :class:`RemotemError`."""
        url = self.api_url(*parts)
        started = time.perf_counter()
        handle = current()
        if handle is not None and handle.interrupted:
            raise Interrupted("Interrupted before it was sent.", code="interrupted")
        try:
            response = self.session.request(method, url, params=params, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            if handle is not None and handle.interrupted:
                raise Interrupted("Interrupted: a newer request superseded it.", code="interrupted") from None
            if isinstance(error, requests.Timeout):
                raise Unavailable(f"The server did not answer within {self.timeout:.0f} s.",
                                  "Try again; long work belongs in a job (ds.submit(...)).", code="timeout") from None
            if not isinstance(error, requests.ConnectionError):
                raise
            raise Unavailable(f"Cannot reach the Jupyter server at {self.address.url}: {error}",
                              "Check that the server runs and the URL is right.", code="unreachable") from None
        if handle is not None and handle.interrupted:  # answered just as it was superseded
            raise Interrupted("Interrupted: a newer request superseded it.", code="interrupted")
        elapsed = time.perf_counter() - started
        server_s = _float_header(response, "X-Remotem-Elapsed")
        self.measurements.record(elapsed, len(response.content), server_s)
        if response.status_code >= 400:
            raise error_from_answer(response.status_code, response.content, response.reason)
        return response

    def get_json(self, *parts: str, **params: Any) -> Any:
        return self.request("GET", *parts, params=_query(params)).json()

    def post_json(self, *parts: str, body: Any = None, **params: Any) -> Any:
        response = self.request("POST", *parts, params=_query(params), body=body)
        return response.json() if response.content else None

    def get_array(self, *parts: str, **params: Any) -> np.ndarray:
        return npy_array(self.request("GET", *parts, params=_query(params)))

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``function`` over ``items`` on the connection's threads, results in order."""
        items = list(items)
        if len(items) <= 1:
            return [function(item) for item in items]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="remotem-fetch")
            pool = self._pool
        return list(pool.map(function, items))


def npy_array(response: requests.Response) -> np.ndarray:
    import numpy as np  # here, not above: a client that only moves files does without it

    return np.load(io.BytesIO(response.content), allow_pickle=False)


#: The longest query string sent: servers and proxies drop longer URLs without an answer.
MAX_QUERY_BYTES = 16 * 1024


def _query(params: dict[str, Any]) -> dict[str, str]:
    query = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in params.items()
             if v is not None}
    size = len(urlencode(query))
    if size > MAX_QUERY_BYTES:
        raise BadRequest(f"This request's URL would carry {size / 1024:.0f} kB of parameters, more than the "
                         f"{MAX_QUERY_BYTES // 1024} kB a URL safely holds.",
                         "A pipeline step with a large inline array (a mask, a reference frame) cannot travel in "
                         "a URL: save the array in a repository and name it as 'repository:path', or draw the "
                         "region as a polygon.", code="query_too_long")
    return query


def _float_header(response: requests.Response, name: str) -> float:
    try:
        return float(response.headers.get(name, 0.0))
    except ValueError:
        return 0.0
