"""The answers of ``c.search``: pages fetched as they are iterated, hits that open as datasets,
and a table of them for pandas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .query import tree_of

if TYPE_CHECKING:
    from .dataset import RemoteDataset
    from .server import Client


@dataclass(frozen=True)
class Hit:
    """One entry found: its repository, path, array inside the file (or None) and fields."""

    client: Client
    fields: dict[str, Any]

    @property
    def repository(self) -> str:
        return self.fields["repository"]

    @property
    def path(self) -> str:
        return self.fields["path"]

    @property
    def dataset(self) -> str | None:
        return self.fields.get("dataset")

    def open(self) -> RemoteDataset:
        return self.client.open(self.repository, self.path, self.dataset)

    def __repr__(self) -> str:
        inside = f" {self.dataset}" if self.dataset else ""
        return f"<Hit {self.repository}:{self.path}{inside} {self.fields.get('shape') or ''}>"


class SearchResults:
    """Lazy: the first page is fetched when something is asked, the others while iterating."""

    def __init__(self, client: Client, query: Any, sort: str, facets: tuple[str, ...], page_size: int) -> None:
        self.client = client
        self.body: dict[str, Any] = {"query": tree_of(query), "sort": sort, "limit": int(page_size),
                                     "facets": list(facets)}
        self._first: dict[str, Any] | None = None

    def _page(self, cursor: str | None) -> dict[str, Any]:
        return self.client.connection.post_json("search", body=dict(self.body, cursor=cursor))

    @property
    def first(self) -> dict[str, Any]:
        if self._first is None:
            self._first = self._page(None)
        return self._first

    @property
    def total(self) -> int:
        """How many hits: counted exactly up to ten thousand, estimated past it (:attr:`total_exact`)."""
        return int(self.first["total"])

    @property
    def total_exact(self) -> bool:
        """Whether :attr:`total` was counted (else it is an estimate of a query with very many hits)."""
        return bool(self.first.get("total_exact", True))

    @property
    def facets(self) -> dict[str, list[dict[str, Any]]]:
        return self.first["facets"]

    @property
    def query(self) -> dict[str, Any] | None:
        """The tree the server read (from text too), and :attr:`text` its text form."""
        return self.first["query"]

    @property
    def text(self) -> str:
        return self.first["text"]

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Hit]:
        page = self.first
        while True:
            for fields in page["hits"]:
                yield Hit(self.client, fields)
            if not page.get("cursor"):
                return
            page = self._page(page["cursor"])

    def to_pandas(self) -> Any:
        """The hits' fields as a DataFrame (one row per hit)."""
        import pandas as pd

        return pd.DataFrame([hit.fields for hit in self])

    def __repr__(self) -> str:
        about = "" if self.total_exact else "about "
        return f"<SearchResults {about}{self.total} hits for {self.text or 'everything'}>"
