"""The positions of a batch: a JSON list, or a table file in a repository (CSV, VOTable, Parquet).

Every row has ``id``, ``ra`` and ``dec``; any other column must name a declared cutout parameter
(:mod:`.params`, e.g. ``size``, ``bands``, ``format``, ``algorithm``, ``survey``) and overrides the
batch's default for that row — an empty cell keeps the default.  A column that names nothing is
refused with its name, so a typo never silently falls back to a default.  Rows come out as plain
dicts of strings, the form the request parser reads and the job record stores.
"""

from __future__ import annotations

import io
import math
import posixpath
from collections.abc import Iterable
from typing import Any

from ..errors import BadParameter, TooLarge
from . import params

#: Largest table file read for one batch (bytes).
MAX_TABLE_BYTES = 64 * 1024**2
#: Parameters a row may not set: its position is ``ra``/``dec``, one per row.
POSITIONAL = frozenset({"pos", "circle", "polygon", "ra", "dec"})
TABLE_FORMATS = {".csv": "ascii.csv", ".txt": "ascii.csv", ".ecsv": "ascii.ecsv", ".xml": "votable",
                 ".vot": "votable", ".votable": "votable", ".parquet": "parquet", ".pq": "parquet"}
ID_MAX = 200


def _text(value: Any) -> str | None:
    """A cell as the parser reads it; None for an empty or missing cell."""
    if value is None:
        return None
    try:
        import numpy as np

        if value is np.ma.masked:
            return None
        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, bool):
        raise ValueError("a true/false value")
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    text = str(value).strip()
    return text or None


def _scalar(value: Any) -> Any:
    """A table cell's value when it is one string or integer (numpy scalars included), else None."""
    item = getattr(value, "item", None)
    if item is None or isinstance(value, (list, tuple, dict)):
        return None
    try:
        value = item()
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, (str, int, bytes)) and not isinstance(value, bool) else None


def override_name(raw: str, where: str) -> str:
    """The canonical parameter a column or key names, or a 400 naming it."""
    name = params.ALIASES.get(str(raw).strip().lower())
    if name is None:
        raise BadParameter(f"{where}: '{raw}' is not a cutout parameter.",
                           hint="Rows have id, ra, dec and any of the declared parameters "
                                "(GET remotem/api/cutouts/parameters), e.g. size, bands, format, survey.")
    if name in POSITIONAL - {"ra", "dec"}:
        raise BadParameter(f"{where}: '{raw}' cannot be given per row; each row is one position (id, ra, dec).",
                           hint="Give ra, dec and a size instead of a shape.")
    return name


def row_of(raw: Any, number: int) -> dict[str, str]:
    """One position from a JSON object or a table row: id, ra, dec and overrides, as strings."""
    where = f"Row {number}"
    if not isinstance(raw, dict):
        raise BadParameter(f"{where} is not an object with id, ra and dec.",
                           hint='For example {"id": "ngc1", "ra": 150.0, "dec": 2.0, "size": "64pix"}.')
    row: dict[str, str] = {}
    for key, value in raw.items():
        key_text = str(key).strip().lower()
        name = key_text if key_text in ("id", "ra", "dec") else override_name(str(key), where)
        if name == "id" and (isinstance(value, bool) or not isinstance(value, (str, int)) and _scalar(value) is None):
            raise BadParameter(f"{where}: the id is {type(value).__name__}, not a name or a number.",
                               hint='Ids are short names or numbers, e.g. "ngc1" or 17.')
        try:
            text = _text(value)
        except ValueError as error:
            raise BadParameter(f"{where}: '{key}' is {error}, not a parameter value.",
                               hint=params.BY_NAME[name].description if name in params.BY_NAME else "") from None
        if text is None:
            continue
        if name in row:
            raise BadParameter(f"{where}: '{name}' is given twice.", hint="Name each parameter once per row.")
        row[name] = text
    missing = [name for name in ("id", "ra", "dec") if name not in row]
    if missing:
        raise BadParameter(f"{where} lacks {', '.join(missing)}.",
                           hint="Every row has an id and its ra, dec in degrees (ICRS).")
    if len(row["id"]) > ID_MAX or any(ord(c) < 32 for c in row["id"]):
        raise BadParameter(f"{where}: the id is longer than {ID_MAX} characters or holds control characters.",
                           hint="Use short names such as object names or numbers.")
    return row


def rows_of(items: Iterable[Any], limit: int) -> list[dict[str, str]]:
    """Positions from a JSON list (or table rows), at most ``limit``, ids distinct."""
    rows: list[dict[str, str]] = []
    first: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        if number > limit:
            raise TooLarge(f"A batch has at most {limit:,} positions.",
                           hint="Split the table into several batches.", limit="cutout_batch_max", allowed=limit)
        row = row_of(item, number)
        if row["id"] in first:
            raise BadParameter(f"Row {number}: the id '{row['id']}' is also that of row {first[row['id']]}.",
                               hint="Every position needs its own id: it names the file and the manifest row.")
        first[row["id"]] = number
        rows.append(row)
    if not rows:
        raise BadParameter("The batch has no positions.", hint='Give "positions": [{"id", "ra", "dec"}, ...] '
                                                               "or a table with id, ra, dec columns.")
    return rows


def table_format(path: str) -> str:
    lower = path.lower()
    for ending, fmt in TABLE_FORMATS.items():
        if lower.endswith(ending):
            return fmt
    raise BadParameter(f"'{posixpath.basename(path)}' is not a table this server reads.",
                       hint="Give a CSV (.csv), VOTable (.xml, .vot) or Parquet (.parquet) file with id, ra, dec.")


def read_table(repository: Any, path: str, limit: int) -> list[dict[str, str]]:
    """The rows of a table file in ``repository`` (read whole, at most :data:`MAX_TABLE_BYTES`)."""
    from astropy.table import Table

    fmt = table_format(path)
    entry = repository.info(path)
    if entry.type == "directory":
        raise BadParameter(f"'{path}' is a folder, not a table.", hint="Name a CSV, VOTable or Parquet file.")
    if (entry.size or 0) > MAX_TABLE_BYTES:
        raise TooLarge(f"The table is {entry.size:,} bytes; a batch table is at most {MAX_TABLE_BYTES:,}.",
                       hint="Split it into several batches.")
    with repository.open(path, "rb") as handle:
        data = handle.read(MAX_TABLE_BYTES + 1)
    try:
        if fmt == "parquet":
            table = _parquet(data)
        else:
            table = Table.read(io.BytesIO(data) if fmt == "votable" else data.decode("utf-8-sig"), format=fmt)
    except BadParameter:
        raise
    except Exception as error:  # astropy raises many kinds for a malformed table
        raise BadParameter(f"'{path}' could not be read as {fmt}: {str(error)[:300]}",
                           hint="A table with a header row naming id, ra, dec (and optional parameters).") from None
    names = {name.lower(): name for name in table.colnames}
    for needed in ("id", "ra", "dec"):
        if needed not in names:
            raise BadParameter(f"The table has no '{needed}' column (it has {', '.join(table.colnames)}).",
                               hint="Columns: id, ra, dec, then any parameter to override per row.")
    for lower, name in names.items():
        if lower not in ("id", "ra", "dec"):
            override_name(name, f"Column '{name}'")
    if len(table) > limit:
        raise TooLarge(f"The table has {len(table):,} rows; a batch has at most {limit:,} positions.",
                       hint="Split the table into several batches.", limit="cutout_batch_max", allowed=limit)
    columns = [(name, table[name]) for name in table.colnames]
    return rows_of(({name: column[i] for name, column in columns} for i in range(len(table))), limit)


def _parquet(data: bytes) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise BadParameter("This server cannot read Parquet tables (pyarrow is not installed).",
                           hint="Give the positions as CSV or VOTable.") from None
    from astropy.table import Table

    return Table(pq.read_table(io.BytesIO(data)).to_pydict())
