"""Writing a job's result into a repository, all or nothing.

Files are written under a hidden temporary name (``.name.partial-<job id>``) beside their final
place and renamed only when complete, so a reader never sees half a result, a failed or
cancelled job leaves nothing behind, and another job's earlier result is never overwritten
unless the request says ``overwrite``.  Results of reductions are small, so each file is built
in memory first; that also lets HDF5 be written to stores that cannot seek, such as S3.  A
transformation builds its (large) file itself and hands it over with :meth:`OutputWriter.publish`.
Every file put in place, and every folder made for it, is recorded in the job's ledger
(:mod:`.written`), so deleting the job removes exactly them.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..compute.operations import ReductionResult
from ..errors import BadParameter, Conflict, Forbidden, RemotemError
from ..formats.jsonable import jsonable
from ..storage.repository import Repository
from ..view_contract import ShownImage, shown_image
from .requests import OutputSpec
from .result_axes import is_colour, profile_ring
from .result_formats import hdf5_bytes, hspy_bytes, npy_bytes, png_bytes, tiff_bytes
from .exports import EXPORT_FORMATS
from .written import Recorder, file_record, record_new_folders, tree_records


@dataclass(frozen=True)
class _File:
    path: str
    format: str
    data: bytes


def temporary_name(path: str, job_id: str) -> str:
    folder, name = posixpath.split(path)
    return posixpath.join(folder, f".{name}.partial-{job_id}")


class OutputWriter:
    """Puts one job's result at ``spec.path`` in ``repository`` (see module docstring)."""

    def __init__(self, repository: Repository, spec: OutputSpec, job_id: str,
                 recorder: Recorder | None = None, own: frozenset[str] = frozenset()) -> None:
        self.repository = repository
        self.spec = spec
        self.job_id = job_id
        #: Where written files and created folders are recorded (None: nowhere, for cleaning up).
        self.recorder = recorder
        #: Paths this job's ledger says it wrote: an earlier attempt of the same job that put its
        #: result in place and was then lost (a worker killed before the job was marked done)
        #: left them, and the next attempt may replace them without ``overwrite``.
        self.own = own

    @property
    def paths(self) -> list[str]:
        """Final paths, the data file last: its appearance means the result is complete."""
        if self.spec.format == "npy":
            return [self.spec.path + ".json", self.spec.path]
        return [self.spec.path]

    def format_of(self, path: str) -> str:
        """The ledger's format of one of :attr:`paths` (an NPY result's sidecar is "json")."""
        return "json" if self.spec.format == "npy" and path != self.spec.path else self.spec.format

    def check(self) -> None:
        """Refuse early, before any computing, what :meth:`write` would refuse at the end."""
        if not self.repository.config.writable:
            raise Forbidden(f"Repository '{self.repository.name}' is read-only.",
                            hint="Choose a writable repository for the output.")
        if not self.spec.overwrite:
            for path in self.paths:
                if path not in self.own and self.repository.exists(path):
                    raise Conflict(
                        f"'{path}' already exists in repository '{self.repository.name}'.",
                        hint='Choose another output path, or set "overwrite": true in the output.',
                    )

    def exists(self) -> bool:
        """Whether any of :attr:`paths` is taken (a save there needs ``overwrite``)."""
        return any(self.repository.exists(path) for path in self.paths)

    def free_path(self, tries: int = 999) -> str | None:
        """The output path, or the first of ``name-1.ext``, ``name-2.ext``, ... none of whose
        files exists yet (None when all ``tries`` are taken): the name a save dialog suggests."""
        folder, name = posixpath.split(self.spec.path)
        stem, dot, ending = name.rpartition(".")
        if not dot:
            stem, ending = name, ""
        for number in range(tries + 1):
            candidate = name if number == 0 else f"{stem}-{number}{dot}{ending}"
            path = posixpath.join(folder, candidate)
            taken = [path + ".json", path] if self.spec.format == "npy" else [path]
            if not any(self.repository.exists(p) for p in taken):
                return path
        return None

    def files(self, result: ReductionResult, record: dict[str, Any]) -> list[_File]:
        if self.spec.format == "hdf5":
            return [_File(self.spec.path, "hdf5", hdf5_bytes(result, record))]
        view = record.get("view")
        # The array on screen when the result comes from a view (an explicit output.array wins).
        shown = (shown_image(view, record["operation"], record.get("parameters"), self.spec.array)
                 if view is not None else None)
        name = self.spec.array or (shown.array if shown else None) or result.primary
        if name not in result.arrays:
            raise BadParameter(f"The result has no array {name!r}.",
                               hint=f"Arrays: {', '.join(result.arrays)}.")
        array = np.asarray(result.arrays[name])
        description = {
            "provenance": record,
            "array": name,
            "shape": list(array.shape),
            "dtype": array.dtype.str,
            "attributes": jsonable(result.attributes),
        }
        if self.spec.format == "tiff":
            return [_File(self.spec.path, "tiff", tiff_bytes(array, description))]
        if self.spec.format == "hspy":
            return [_File(self.spec.path, "hspy", hspy_bytes(array, name, record, result.attributes,
                                                                    result.arrays))]
        if self.spec.format == "png":
            if shown is not None and name != shown.array:
                shown = ShownImage(shown.display, name)
            ring = profile_ring(record["operation"], name, array, shown.index if shown else 0)
            if ring is not None:
                # One ring of a profile per position, over the scan, as the viewer shows it.
                array, shown = ring, ShownImage(shown.display if shown else "nav", name)
            wheel = shown is not None and shown.wheel and {"shift_y", "shift_x"} <= set(result.arrays)
            field = (np.asarray(result.arrays["shift_y"]), np.asarray(result.arrays["shift_x"])) if wheel else None
            colour = is_colour(record["operation"], name) and not result.attributes.get("fft")
            return [_File(self.spec.path, "png", png_bytes(array, description, view, shown, field, colour))]
        return [
            _File(self.spec.path + ".json", "json", json.dumps(description, indent=1, sort_keys=True).encode()),
            _File(self.spec.path, "npy", npy_bytes(array)),
        ]

    def write(self, result: ReductionResult, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Write, then rename into place; the results list of the job."""
        files = self.files(result, record)
        try:
            self.makedirs()
            for file in files:
                with self.repository.open(self.temporary(file.path), "wb") as out:
                    out.write(file.data)
            self.publish()
        finally:
            self.discard()
        return [
            {"repository": self.repository.name, "path": file.path, "size": len(file.data), "format": file.format}
            for file in files
        ]

    @property
    def folder(self) -> bool:
        """Whether the output is a folder of files (a Zarr export): moved and removed whole,
        recorded file by file."""
        export = EXPORT_FORMATS.get(self.spec.format)
        return export is not None and export.folder

    def temporary(self, path: str | None = None) -> str:
        """The hidden name under which ``path`` (default: the output) is written."""
        return temporary_name(path or self.spec.path, self.job_id)

    def publish(self) -> None:
        """Rename the complete temporary files into place, checking again that they may go there,
        and record each in the job's ledger."""
        self.check()
        for path in self.paths:
            if self.folder:
                self._replace_folder(self.temporary(path), path)
            else:
                self.repository.fs.mv(self.repository.full_path(self.temporary(path)),
                                      self.repository.full_path(path))
            if self.recorder is not None:
                self.recorder(tree_records(self.repository, path, self.format_of(path)) if self.folder
                              else [file_record(self.repository, path, self.format_of(path))])

    def _replace_folder(self, source: str, target: str) -> None:
        """Put the complete folder ``source`` at ``target``; an earlier one there (overwritten)
        is moved aside first and removed only once the new one is in place, so that a
        failure in between leaves one of the two whole, never a mixture."""
        fs = self.repository.fs
        aside = self.temporary(target) + ".replaced"
        if self.repository.exists(target):
            self._move(target, aside)
        self._move(source, target)
        if self.repository.exists(aside):
            fs.rm(self.repository.full_path(aside), recursive=True)

    def _move(self, source: str, target: str) -> None:
        if self.repository.is_local:  # a folder is renamed at once
            self.repository.fs.mv(self.repository.full_path(source), self.repository.full_path(target))
        else:
            self._move_folder(source, target)

    def _move_folder(self, source: str, target: str) -> None:
        """Move a folder on an object store file by file (it has no folders to rename), the
        format's metadata last: zarr sees the store only once every chunk is in place."""
        fs = self.repository.fs
        files = [self.repository.relative(name) for name in fs.find(self.repository.full_path(source))]
        files.sort(key=lambda name: (posixpath.basename(name).startswith("."), name))
        for name in files:
            fs.mv(self.repository.full_path(name), self.repository.full_path(target + name[len(source):]))

    def discard(self) -> None:
        """Remove temporary files this job may have left (after a failure, cancel or crash)."""
        for path in self.paths:
            temporary = self.temporary(path)
            try:
                if self.repository.exists(temporary):
                    self.repository.fs.rm(self.repository.full_path(temporary), recursive=self.folder)
            except (OSError, RemotemError):
                pass

    def makedirs(self) -> None:
        """Create the output's folder, recording first those of its folders that are new."""
        folder = posixpath.dirname(self.spec.path)
        if folder:
            record_new_folders(self.recorder, self.repository, [self.spec.path])
            self.repository.fs.makedirs(self.repository.full_path(folder), exist_ok=True)
