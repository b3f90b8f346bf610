"""Surveys: named folders of FITS tiles in a repository, with bands, a file pattern or a tile
table, and the groups that may use them.

A survey the caller may not use is answered exactly like one that does not exist (404), and
using one also needs read access to its repository: a survey never opens storage its user could
not browse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound
from ..storage import paths
from ..storage.access import AccessPolicy, groups_of
from ..storage.registry import RepositoryRegistry
from ..storage.repository import Repository

KEYS = {"name", "repository", "path", "bands", "pattern", "tiles", "pixscale", "groups", "description", "hdu",
        "wavelengths", "planes"}
#: File endings read as FITS tiles (plain, gzip, tile-compressed).
FITS_ENDINGS = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fits.fz", ".fz")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_BAND = re.compile(r"^[A-Za-z0-9_.+-]{1,32}$")
#: A plane's name (``weight``, ``mask``, ``var`` ...): written into EXTNAMEs as ``<BAND>_<PLANE>``.
_PLANE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
#: Names a plane may not take: the image itself.
RESERVED_PLANES = {"image", "sci", "data"}


@dataclass(frozen=True)
class Survey:
    """One entry of ``c.RemotemApp.surveys``."""

    name: str
    repository: str
    path: str
    bands: tuple[str, ...]
    #: File names relative to ``path``, e.g. ``"{tile}_{band}.fits.fz"`` (``{tile}`` may repeat).
    pattern: str | None = None
    #: Or a tile table: ``{tile: {band: path relative to the survey folder}}``.
    tiles: dict[str, dict[str, str]] | None = None
    #: Declared pixel scale (arcsec/pixel); the tiles' own WCS is what cuts use.
    pixscale: float | None = None
    groups: tuple[str, ...] = ()
    description: str = ""
    #: Which HDU holds the image (default: the first with two axes).
    hdu: int | str | None = None
    #: Effective wavelength of each band in metres (optional), for SODA's ``BAND`` interval.
    wavelengths: dict[str, float] = field(default_factory=dict, compare=False)
    #: Planes beside the image in every tile file (weight, mask ...): plane name → HDU name or index.
    #: They are cut on exactly the image's grid (``planes`` of a FITS request).
    planes: dict[str, int | str] = field(default_factory=dict, compare=False)
    _regex: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Survey:
        """Validate one configured survey; mistakes fail at start-up with the survey's name."""
        if not isinstance(raw, dict):
            raise ValueError(f"A survey is a dict, not {raw!r}.")
        name = str(raw.get("name", ""))
        unknown = set(raw) - KEYS
        if unknown:
            raise ValueError(f"Survey {name!r}: unknown keys {sorted(unknown)} (known: {sorted(KEYS)}).")
        if not _NAME.match(name):
            raise ValueError(f"Survey name {name!r}: letters, digits, '_', '.', '-' (at most 100).")
        if not raw.get("repository"):
            raise ValueError(f"Survey {name!r} needs a 'repository'.")
        bands = raw.get("bands")
        if not isinstance(bands, (list, tuple)) or not bands or not all(
                isinstance(b, str) and _BAND.match(b) for b in bands) or len(set(bands)) != len(bands):
            raise ValueError(f"Survey {name!r}: 'bands' is a list of distinct band names, e.g. ['g', 'r', 'i'].")
        pattern, tiles = raw.get("pattern"), raw.get("tiles")
        if (pattern is None) == (tiles is None):
            raise ValueError(f"Survey {name!r}: give either a 'pattern' such as '{{tile}}_{{band}}.fits.fz' "
                             "or a 'tiles' table {tile: {band: path}}.")
        if pattern is not None and (not isinstance(pattern, str) or "{tile}" not in pattern
                                    or (len(bands) > 1 and "{band}" not in pattern)):
            raise ValueError(f"Survey {name!r}: 'pattern' must contain {{tile}} (and {{band}} for several bands).")
        if tiles is not None:
            if not isinstance(tiles, dict) or not all(
                    isinstance(t, str) and isinstance(files, dict) and set(files) <= set(bands)
                    and all(isinstance(p, str) for p in files.values()) for t, files in tiles.items()):
                raise ValueError(f"Survey {name!r}: 'tiles' is {{tile: {{band: path}}}} with bands from 'bands'.")
            tiles = {t: {b: paths.normalise(p) for b, p in files.items()} for t, files in tiles.items()}
        pixscale = raw.get("pixscale")
        if pixscale is not None and not (isinstance(pixscale, (int, float)) and pixscale > 0):
            raise ValueError(f"Survey {name!r}: 'pixscale' is arcsec per pixel, a positive number.")
        wavelengths = raw.get("wavelengths") or {}
        if not isinstance(wavelengths, dict) or not set(wavelengths) <= set(bands) or not all(
                isinstance(w, (int, float)) and not isinstance(w, bool) and 0 < w < 1 for w in wavelengths.values()):
            raise ValueError(f"Survey {name!r}: 'wavelengths' is {{band: effective wavelength in metres}}, "
                             "e.g. {'g': 4.8e-7}.")
        planes = _planes(name, raw.get("planes"), bands)
        return cls(name=name, repository=str(raw["repository"]), path=paths.normalise(raw.get("path") or ""),
                   bands=tuple(bands), pattern=pattern, tiles=tiles,
                   pixscale=float(pixscale) if pixscale is not None else None,
                   groups=tuple(raw.get("groups") or ()), description=str(raw.get("description") or ""),
                   hdu=raw.get("hdu"), wavelengths={b: float(w) for b, w in wavelengths.items()}, planes=planes)

    @property
    def regex(self) -> re.Pattern[str]:
        """The pattern as a regular expression with ``tile`` and ``band`` groups."""
        if self._regex is None:
            band = "(?P<band>" + "|".join(re.escape(b) for b in sorted(self.bands, key=len, reverse=True)) + ")"
            parts, seen_tile, seen_band = [], False, False
            for piece in re.split(r"(\{tile\}|\{band\})", self.pattern or ""):
                if piece == "{tile}":
                    parts.append("(?P=tile)" if seen_tile else "(?P<tile>[^/]+?)")
                    seen_tile = True
                elif piece == "{band}":
                    parts.append("(?P=band)" if seen_band else band)
                    seen_band = True
                else:
                    parts.append(re.escape(piece))
            object.__setattr__(self, "_regex", re.compile("^" + "".join(parts) + "$"))
        return self._regex

    def match(self, relative: str) -> tuple[str, str] | None:
        """``(tile, band)`` of a file path relative to the survey folder, or None."""
        found = self.regex.match(relative)
        if not found:
            return None
        band = found.groupdict().get("band") or self.bands[0]
        return found.group("tile"), band

    def files(self, repository: Repository) -> Iterable[tuple[str, str, str, int | None, float | None]]:
        """Every tile file: ``(tile, band, path in the repository, size, mtime)``."""
        if self.tiles is not None:
            for tile, files in self.tiles.items():
                for band, relative in files.items():
                    path = paths.join(self.path, relative) if self.path else relative
                    entry = repository.info(path)
                    yield tile, band, entry.path, entry.size, entry.mtime
            return
        root = repository.full_path(self.path)
        found = repository.fs.find(root, detail=True, **repository.fresh)
        for full, info in sorted(found.items()):
            relative_to_repo = repository.relative(full)
            if self.path:
                if not relative_to_repo.startswith(self.path.rstrip("/") + "/"):
                    continue
                relative = relative_to_repo[len(self.path.rstrip("/")) + 1:]
            else:
                relative = relative_to_repo
            if info.get("type") == "directory" or not relative.lower().endswith(FITS_ENDINGS):
                continue
            if repository.is_local and not paths.is_within(repository.root, _real(full)):
                continue  # a link out of the repository is never read
            matched = self.match(relative)
            if matched:
                entry = repository._entry(repository._local_info(info) if repository.is_local else info)
                yield matched[0], matched[1], relative_to_repo, entry.size, entry.mtime

    def to_json(self) -> dict[str, Any]:
        """What users see: never the repository's storage address."""
        return {"name": self.name, "description": self.description, "bands": list(self.bands),
                "repository": self.repository, "path": self.path, "pixscale": self.pixscale,
                "pattern": self.pattern, "wavelengths": dict(self.wavelengths), "planes": list(self.planes)}


def _planes(survey: str, raw: Any, bands: Iterable[str]) -> dict[str, int | str]:
    """``{"weight": "WGT", "mask": "MSK"}``: names like bands (never the image's), each an HDU
    name or a non-negative index of the tile files."""
    if raw is None:
        return {}
    example = "e.g. {'weight': 'WGT', 'mask': 'MSK'}"
    if not isinstance(raw, dict):
        raise ValueError(f"Survey {survey!r}: 'planes' is {{plane name: HDU name or index}}, {example}.")
    planes: dict[str, int | str] = {}
    for plane, hdu in raw.items():
        if not isinstance(plane, str) or not _PLANE.match(plane) or plane.lower() in RESERVED_PLANES:
            raise ValueError(f"Survey {survey!r}: plane name {plane!r}: a letter, then letters, digits or '_' "
                             f"(at most 32), not one of {sorted(RESERVED_PLANES)}; {example}.")
        if plane.lower() in {p.lower() for p in planes}:
            raise ValueError(f"Survey {survey!r}: plane {plane!r} is named twice.")
        if plane in set(bands):
            raise ValueError(f"Survey {survey!r}: plane {plane!r} has the name of a band.")
        if isinstance(hdu, bool) or not ((isinstance(hdu, int) and hdu >= 0) or (isinstance(hdu, str) and hdu.strip())):
            raise ValueError(f"Survey {survey!r}: plane {plane!r}: the HDU is a name (EXTNAME) or an index >= 0, "
                             f"not {hdu!r}.")
        planes[plane] = hdu.strip() if isinstance(hdu, str) else hdu
    return planes


def _real(path: str) -> str:
    import os

    return os.path.realpath(path)


def unknown_survey(name: str) -> NotFound:
    return NotFound(f"There is no survey '{name}' you may use.",
                    hint="GET remotem/api/cutouts/surveys lists the surveys you may use.")


class SurveyCatalog:
    """The configured surveys, seen through a caller's groups and repository rights."""

    def __init__(self, surveys: Iterable[Survey], registry: RepositoryRegistry, access: AccessPolicy) -> None:
        self.surveys = {s.name: s for s in surveys}
        self.registry = registry
        self.access = access

    @classmethod
    def from_dicts(cls, raw: Iterable[dict[str, Any]], registry: RepositoryRegistry,
                   access: AccessPolicy) -> SurveyCatalog:
        return cls([Survey.from_dict(r) for r in raw], registry, access)

    def may_use(self, user: Any, survey: Survey) -> bool:
        if survey.groups and not (groups_of(user, self.access.default_groups) & set(survey.groups)):
            return False
        try:
            repository = self.registry.get(survey.repository)
        except NotFound:
            return False
        return self.access.can_read(user, repository)

    def visible(self, user: Any) -> list[Survey]:
        return [s for s in self.surveys.values() if self.may_use(user, s)]

    def get(self, user: Any, name: str) -> Survey:
        """The survey if ``user`` may use it; 404 exactly like a missing one otherwise."""
        survey = self.surveys.get(name)
        if survey is None or not self.may_use(user, survey):
            raise unknown_survey(name)
        return survey

    def repository(self, survey: Survey) -> Repository:
        return self.registry.get(survey.repository)


def check_config(raw: list[Any]) -> list[Any]:
    """Validate ``c.RemotemApp.surveys`` (names unique, every entry well formed)."""
    names: set[str] = set()
    for entry in raw:
        survey = Survey.from_dict(entry)
        if survey.name in names:
            raise ValueError(f"Survey name {survey.name!r} is used twice.")
        names.add(survey.name)
    return raw
