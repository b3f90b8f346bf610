"""Sky-survey cutouts from Python: ``c.cutout(survey, ra, dec, size, ...)``, ``c.surveys()`` and
batches, ``c.cutouts(table, survey=..., size=...)``.

The parameters are those of the server (:mod:`jupyter_remotem.cutouts.params`, declared once):
an unknown keyword is refused here with the list of known ones, before anything is sent.  Sizes
may be strings with a unit (``"64pix"``, ``"30arcsec"``), astropy Quantities (``30 * u.arcsec``,
``64 * u.pix``) or bare numbers of arcsec.  FITS answers come back as an astropy ``HDUList``; PNG
answers as a :class:`Picture`, which a notebook shows where it lands.  A batch takes a pandas
DataFrame, an astropy Table, a list of dicts or of ``(ra, dec)`` pairs, or a table file in a
repository; any column naming a parameter overrides the keyword default for its row.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ..cutouts.params import ALIASES
from .jobs import Job

if TYPE_CHECKING:
    from .server import Client

_UNITS = {"pix": "pix", "pixel": "pix", "arcsec": "arcsec", "arcmin": "arcmin", "deg": "deg"}


class Picture:
    """A PNG cutout: shows itself in a notebook; ``.image`` is a PIL image, ``.data`` the bytes."""

    def __init__(self, data: bytes, filename: str, tiles: str) -> None:
        self.data = data
        self.filename = filename
        self.tiles = tiles

    @property
    def image(self) -> Any:
        from PIL import Image

        return Image.open(io.BytesIO(self.data))

    def _repr_png_(self) -> bytes | None:
        return self.data if self.data.startswith(b"\x89PNG") else None

    def _repr_jpeg_(self) -> bytes | None:
        return self.data if self.data.startswith(b"\xff\xd8") else None

    def save(self, path: str) -> None:
        with open(path, "wb") as out:
            out.write(self.data)

    def __repr__(self) -> str:
        return f"<cutout picture {self.filename} {self.image.size[0]}×{self.image.size[1]}>"


def size_text(value: Any) -> str:
    """A size as the server reads it: '64pix', '30arcsec'; Quantities keep their unit."""
    if isinstance(value, str):
        return value
    unit = getattr(value, "unit", None)
    if unit is not None:
        name = _UNITS.get(str(unit))
        if name is None:
            raise ValueError(f"A size is in pix, arcsec, arcmin or deg, not {unit}.")
        return f"{float(value.value):g}{name}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):g}arcsec"
    raise ValueError(f"A size is a string like '64pix', a Quantity or a number of arcsec, not {value!r}.")


def query(survey: str, ra: float, dec: float, size: Any = None, **options: Any) -> dict[str, str]:
    """The request's parameters, checked against the server's declared names."""
    params: dict[str, str] = {"survey": survey, "ra": repr(float(ra)), "dec": repr(float(dec))}
    if size is not None:
        params["size"] = size_text(size)
    for name, value in options.items():
        if value is None:
            continue
        if name.lower() not in ALIASES:
            raise TypeError(f"cutout() got an unknown parameter {name!r}; known: {sorted(set(ALIASES.values()))}.")
        canonical = ALIASES[name.lower()]
        if canonical in ("width", "height"):
            value = size_text(value)
        elif canonical in ("bands", "planes") and isinstance(value, (list, tuple)):
            value = ",".join(value)
        params[canonical] = str(value)
    return params


#: Seconds a cutout waits for a survey's footprint index being built (503 ``index_pending``).
INDEX_WAIT_S = 120.0


def cutout(client: Client, survey: str, ra: float, dec: float, size: Any = None, **options: Any) -> Any:
    """One real-time cutout: an ``HDUList`` (FITS, one extension per band) or a :class:`Picture`.
    A survey whose index is still being built is asked again as the server says (Retry-After),
    for at most :data:`INDEX_WAIT_S`."""
    import time

    from .errors import Unavailable

    params = query(survey, ra, dec, size, **options)
    deadline = time.monotonic() + INDEX_WAIT_S
    while True:
        try:
            response = client.connection.request("GET", "cutouts", "sync", params=params)
            break
        except Unavailable as error:
            if error.code != "index_pending" or time.monotonic() > deadline:
                raise
            time.sleep(float((error.details or {}).get("retry_after") or 1))  # the server's Retry-After
    kind = response.headers.get("Content-Type", "")
    disposition = response.headers.get("Content-Disposition", "")
    filename = disposition.split("''", 1)[-1] if "''" in disposition else "cutout"
    if kind.startswith(("image/png", "image/jpeg")):
        return Picture(response.content, filename, response.headers.get("X-Cutout-Tiles", ""))
    from astropy.io import fits

    return fits.HDUList.fromstring(response.content)


def surveys(client: Client) -> list[dict[str, Any]]:
    """The surveys you may use: name, bands, footprint (tiles, Dec range, centre), pixel scale."""
    return client.connection.get_json("cutouts", "surveys")["surveys"]


# -- batches ---------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    """A table cell as JSON: numbers stay numbers, missing values are left out (None)."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if item is not None and not isinstance(value, (str, bytes)):
        try:
            value = item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and value != value:  # NaN: an empty cell keeps the default
        return None
    if getattr(value, "mask", False) is True:
        return None
    if isinstance(value, bytes):
        return value.decode()
    if hasattr(value, "unit") and hasattr(value, "value"):  # a Quantity cell: size with its unit
        return size_text(value)
    return value


def positions_of(table_or_positions: Any) -> list[dict[str, Any]]:
    """Rows ``{id, ra, dec, ...overrides}`` from a pandas DataFrame, an astropy Table, a list of
    dicts or of ``(ra, dec)`` pairs (ids are then their row numbers)."""
    columns = getattr(table_or_positions, "colnames", None)
    if columns is None and hasattr(table_or_positions, "columns") and hasattr(table_or_positions, "to_dict"):
        records = table_or_positions.to_dict("records")  # pandas
    elif columns is not None:
        records = [{name: row[name] for name in columns} for row in table_or_positions]  # astropy
    else:
        records = list(table_or_positions)
    rows = []
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict):
            row = {str(k): _cell(v) for k, v in record.items()}
        else:
            ra, dec = record
            row = {"ra": float(ra), "dec": float(dec)}
        row = {k: v for k, v in row.items() if v is not None}
        row.setdefault("id", str(number))
        row["id"] = str(row["id"])
        for name in [k for k in row if k.lower() not in ("id", "ra", "dec")]:
            if name.lower() not in ALIASES:
                raise TypeError(f"cutouts() got a column {name!r} that is no parameter; known: "
                                f"{sorted(set(ALIASES.values()))}.")
            if ALIASES[name.lower()] in ("size", "width", "height"):
                row[name] = size_text(row[name])
        rows.append(row)
    return rows


def batch_body(table_or_positions: Any, output: Any = None, notify: str | None = None,
               **options: Any) -> dict[str, Any]:
    """``POST cutouts/jobs``'s body: defaults from ``options``, positions from the table, or a
    table file in a repository given as ``{"repository", "path"}`` or ``"repository:path"``."""
    defaults: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if name.lower() not in ALIASES:
            raise TypeError(f"cutouts() got an unknown parameter {name!r}; known: {sorted(set(ALIASES.values()))}.")
        canonical = ALIASES[name.lower()]
        if canonical in ("size", "width", "height"):
            value = size_text(value)
        elif canonical in ("bands", "planes") and isinstance(value, (list, tuple)):
            value = ",".join(value)
        defaults[canonical] = value
    body: dict[str, Any] = {"defaults": defaults}
    if isinstance(table_or_positions, str) and ":" in table_or_positions:
        repository, path = table_or_positions.split(":", 1)
        body["table"] = {"repository": repository, "path": path}
    elif isinstance(table_or_positions, dict) and set(table_or_positions) == {"repository", "path"}:
        body["table"] = dict(table_or_positions)
    else:
        body["positions"] = positions_of(table_or_positions)
    if output is not None:
        body["output"] = ({"repository": output[0], "path": output[1]} if isinstance(output, (tuple, list))
                          else dict(output))
    if notify is not None:
        body["notify"] = notify
    return body


def cutouts(client: Client, table_or_positions: Any, output: Any = None, notify: str | None = None,
            **options: Any) -> Any:
    """Submit a batch; the job handle, with :meth:`CutoutsJob.manifest` and :meth:`CutoutsJob.download`."""
    body = batch_body(table_or_positions, output, notify, **options)
    return CutoutsJob(client, client.connection.post_json("cutouts", "jobs", body=body))


class CutoutsJob(Job):
    """A batch of cutouts: a :class:`~.jobs.Job` (``wait()`` shows progress) with its manifest
    and its files."""

    def manifest(self) -> Any:
        """One row per cutout (id, ra, dec, survey, band, planes, format, file, size, status,
        error, tiles, ...: :data:`..cutouts.manifest.COLUMNS`) as a pandas DataFrame; waits for
        the batch to end."""
        import pandas as pd

        if not self.done:
            self.wait(progress=False)
        from ..cutouts.manifest import INTEGER_COLUMNS, TEXT_COLUMNS

        response = self.client.connection.request("GET", "cutouts", "jobs", self.id, "manifest",
                                                  params={"format": "csv"})
        table = pd.read_csv(io.BytesIO(response.content), dtype={**{name: str for name in TEXT_COLUMNS},
                                                                  **{name: "Int64" for name in INTEGER_COLUMNS}})
        for name in TEXT_COLUMNS:  # an empty cell is an empty text (no error, no plane), not a missing number
            if name in table:
                table[name] = table[name].fillna("")
        return table

    def download(self, folder: str | Any = ".") -> Any:
        """Every file and both manifests, fetched as one zip and unpacked into ``folder``;
        answers the folder holding them."""
        import tempfile
        import zipfile
        from pathlib import Path

        if not self.done:
            self.wait(progress=False)
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        url = self.client.connection.api_url("cutouts", "jobs", self.id, "zip")
        with tempfile.TemporaryFile() as scratch:
            with self.client.connection.session.get(url, stream=True, timeout=self.client.connection.timeout) as answer:
                if answer.status_code >= 400:
                    from .errors import error_from_answer

                    raise error_from_answer(answer.status_code, answer.content, answer.reason)
                for chunk in answer.iter_content(1024 * 1024):
                    scratch.write(chunk)
            scratch.seek(0)
            with zipfile.ZipFile(scratch) as archive:
                names = archive.namelist()
                for name in names:  # never outside the folder, whatever the archive says
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise ValueError(f"The archive holds an unsafe name {name!r}.")
                archive.extractall(target)
        top = {name.split("/", 1)[0] for name in names}
        return target / top.pop() if len(top) == 1 else target
