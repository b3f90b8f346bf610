"""Synthetic 4D-STEM demo data, written in every format jupyter_remotem reads.

The scan is a crystal seen in nano-beam diffraction: each frame has the bright direct-beam disk
and a lattice of weaker Bragg disks.  Across the scan: vacuum on the left (direct beam only, at
full strength), then a wedge of specimen whose thickness grows to the right (direct beam dimmer;
Bragg disks and diffuse background brighter), two grains with differently oriented lattices
meeting at a tilted grain boundary (where the Bragg disks fade), and a smooth descan shift that
moves the whole pattern across the scan (a non-trivial centre of mass).  Counts are Poisson.

Frames are drawn by a numba kernel from a counter-based random generator, so every pixel depends
only on the seed and its position: the data are identical whatever the chunking or the number
of threads, and rows can be generated and written one block at a time.

Conventions of the written files (see :func:`generate`): ``scan.raw`` is described by
``scan.raw.json``; ``scan.mib`` comes with ``scan.hdr``; ``scan.blo`` holds the counts scaled to
uint8 by :func:`to_uint8`; ``virtual_images.tif`` is not the scan but a small stack of images made
from it (:func:`virtual_images`), as image files usually come.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np

from .demo_volume import volume_files

log = logging.getLogger(__name__)

SEED = 20240517
MANIFEST = ".remotem-demo.json"


@dataclass(frozen=True)
class ScanSpec:
    """Geometry and calibration of a synthetic scan."""

    scan_shape: tuple[int, int] = (32, 48)
    frame_shape: tuple[int, int] = (64, 64)
    seed: int = SEED
    scan_step_nm: float = 0.4
    pixel_mrad: float = 0.25
    beam_energy_kev: float = 200.0
    camera_length_m: float = 0.12
    convergence_mrad: float = 1.0
    dwell_time_s: float = 1e-3

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.scan_shape + self.frame_shape

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * 2

    def axes(self) -> list[dict[str, Any]]:
        """Hyperspy-style axes (array order): scan in nm, frame in mrad centred on the axis."""
        ny, nx = self.scan_shape
        sy, sx = self.frame_shape
        p = self.pixel_mrad
        return [
            {"name": "scan_y", "size": ny, "scale": self.scan_step_nm, "offset": 0.0, "units": "nm", "navigate": True},
            {"name": "scan_x", "size": nx, "scale": self.scan_step_nm, "offset": 0.0, "units": "nm", "navigate": True},
            {"name": "ky", "size": sy, "scale": p, "offset": -p * (sy // 2), "units": "mrad", "navigate": False},
            {"name": "kx", "size": sx, "scale": p, "offset": -p * (sx // 2), "units": "mrad", "navigate": False},
        ]

    def attributes(self) -> dict[str, Any]:
        axes = self.axes()
        return {
            "axis_names": [a["name"] for a in axes],
            "axis_units": [a["units"] for a in axes],
            "axis_scales": [a["scale"] for a in axes],
            "axis_offsets": [a["offset"] for a in axes],
            "nav_ndim": 2,
            "beam_energy_keV": self.beam_energy_kev,
            "camera_length_m": self.camera_length_m,
            "convergence_semiangle_mrad": self.convergence_mrad,
            "scan_step_nm": self.scan_step_nm,
            "detector_pixel_mrad": self.pixel_mrad,
            "dwell_time_s": self.dwell_time_s,
            "units": "counts",
            "signal": "synthetic 4D-STEM: vacuum, thickness wedge, two grains, descan shift",
        }


SIZES = {
    "small": ScanSpec(),
    "large": ScanSpec(scan_shape=(256, 256), frame_shape=(128, 128)),
}


# -- physics: per-frame parameters over the whole scan (cheap, vectorised) ---------------------
def frame_parameters(spec: ScanSpec) -> dict[str, np.ndarray]:
    """Beam centre, intensities and grain of every scan position."""
    ny, nx = spec.scan_shape
    sy, sx = spec.frame_shape
    v, u = np.meshgrid(np.linspace(0, 1, ny), np.linspace(0, 1, nx), indexing="ij")
    edge = 0.2 + 0.05 * np.sin(2 * np.pi * v)
    thickness = np.clip((u - edge) / 0.75, 0, 1) ** 0.8
    boundary = u - (0.62 + 0.2 * (v - 0.5))
    grain = (boundary > 0).astype(np.int64)
    near_boundary = np.exp(-((boundary / 0.04) ** 2))
    vacuum_peak = 3000.0 if sx <= 64 else 800.0
    shift = sx / 64.0
    return {
        "cy": (sy / 2 + shift * (2.5 * (v - 0.5) + 0.8 * np.sin(3.1 * u + 0.5))).ravel(),
        "cx": (sx / 2 + shift * (3.0 * (u - 0.5) - 1.0 * np.cos(2.3 * v))).ravel(),
        "direct": (vacuum_peak * np.exp(-1.6 * thickness)).ravel(),
        "bragg": (0.18 * vacuum_peak * (1 - np.exp(-2.5 * thickness)) * (1 - 0.7 * near_boundary)).ravel(),
        "diffuse": (0.5 + 40.0 * thickness).ravel(),
        "grain": grain.ravel(),
    }


def lattices(spec: ScanSpec) -> tuple[np.ndarray, np.ndarray]:
    """Reflection offsets (pixels) and relative strengths for each grain: shape (2, n, 2), (2, n)."""
    sy, sx = spec.frame_shape
    g = sx / 5.5
    reach = 0.48 * min(sy, sx)
    per_grain = []
    for angle, ratio in ((np.deg2rad(12.0), 1.0), (np.deg2rad(41.0), 0.82)):
        a = np.array([np.sin(angle), np.cos(angle)]) * g
        b = np.array([np.sin(angle + np.pi / 3), np.cos(angle + np.pi / 3)]) * g * ratio
        spots = []
        for i in range(-4, 5):
            for j in range(-4, 5):
                if i == 0 and j == 0:
                    continue
                offset = i * a + j * b
                distance = np.hypot(*offset)
                if distance < reach:
                    strength = np.exp(-((distance / (0.55 * reach)) ** 2)) * (1.0 + 0.4 * np.cos(1.7 * i - 0.9 * j))
                    spots.append((offset[0], offset[1], strength))
        per_grain.append(spots)
    n = max(len(s) for s in per_grain)
    offsets = np.zeros((2, n, 2))
    strengths = np.zeros((2, n))
    for k, spots in enumerate(per_grain):
        for m, (dy, dx, s) in enumerate(spots):
            offsets[k, m] = (dy, dx)
            strengths[k, m] = s
    return offsets, strengths


# -- the frame kernel ------------------------------------------------------------------------
@numba.njit(inline="always")
def _mix(x: np.uint64) -> np.uint64:
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@numba.njit(inline="always")
def _uniform(seed: np.uint64, counter: np.uint64) -> float:
    bits = _mix(seed ^ (counter * np.uint64(0x9E3779B97F4A7C15)))
    return ((bits >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@numba.njit(inline="always")
def _poisson(lam: float, seed: np.uint64, counter: np.uint64) -> float:
    if lam <= 0.0:
        return 0.0
    if lam < 12.0:
        u = _uniform(seed, counter)
        p = np.exp(-lam)
        cumulative = p
        k = 0
        while u > cumulative and k < 200:
            k += 1
            p *= lam / k
            cumulative += p
        return float(k)
    u1 = _uniform(seed, counter)
    u2 = _uniform(seed ^ np.uint64(0x5851F42D4C957F2D), counter)
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    value = np.floor(lam + np.sqrt(lam) * z + 0.5)
    return value if value > 0.0 else 0.0


@numba.njit(parallel=True, cache=False)
def _render(
    out, first_frame, cy, cx, direct, bragg, diffuse, grain, offsets, strengths, radius, seed
):  # pragma: no cover - jitted
    n, sy, sx = out.shape
    sigma2 = 2.0 * (0.22 * sx) ** 2
    for f in numba.prange(n):
        g = first_frame + f
        lam = np.empty((sy, sx))
        across = np.empty(sx)
        for x in range(sx):
            across[x] = np.exp(-((x - cx[g]) ** 2) / sigma2)
        for y in range(sy):
            down = diffuse[g] * np.exp(-((y - cy[g]) ** 2) / sigma2)
            for x in range(sx):
                lam[y, x] = down * across[x]
        for m in range(-1, offsets.shape[1]):
            if m < 0:
                py, px, peak = cy[g], cx[g], direct[g]
            else:
                py = cy[g] + offsets[grain[g], m, 0]
                px = cx[g] + offsets[grain[g], m, 1]
                peak = bragg[g] * strengths[grain[g], m]
            if peak <= 0.0:
                continue
            y0 = max(int(py - radius - 2), 0)
            y1 = min(int(py + radius + 3), sy)
            x0 = max(int(px - radius - 2), 0)
            x1 = min(int(px + radius + 3), sx)
            for y in range(y0, y1):
                for x in range(x0, x1):
                    cover = radius + 0.5 - np.sqrt((y - py) ** 2 + (x - px) ** 2)
                    if cover > 0.0:
                        lam[y, x] += peak * min(cover, 1.0)
        base = np.uint64(g) * np.uint64(sy * sx)
        for y in range(sy):
            for x in range(sx):
                value = _poisson(lam[y, x], seed, base + np.uint64(y * sx + x))
                out[f, y, x] = min(value, 65535.0)


class ScanGenerator:
    """Draws rows of the scan on demand; the same rows always give the same counts."""

    def __init__(self, spec: ScanSpec) -> None:
        self.spec = spec
        self.params = frame_parameters(spec)
        self.offsets, self.strengths = lattices(spec)
        self.radius = spec.frame_shape[1] / 16.0

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Scan rows ``start:stop`` as uint16 of shape ``(stop - start, nx, sy, sx)``."""
        ny, nx = self.spec.scan_shape
        sy, sx = self.spec.frame_shape
        out = np.empty(((stop - start) * nx, sy, sx), dtype=np.uint16)
        p = self.params
        _render(
            out,
            start * nx,
            p["cy"],
            p["cx"],
            p["direct"],
            p["bragg"],
            p["diffuse"],
            p["grain"],
            self.offsets,
            self.strengths,
            self.radius,
            np.uint64(self.spec.seed),
        )
        return out.reshape((stop - start, nx, sy, sx))

    def blocks(self, rows_per_block: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """``(first_row, block)`` pairs covering the scan, each at most ~64 MiB."""
        ny, nx = self.spec.scan_shape
        row_bytes = nx * int(np.prod(self.spec.frame_shape)) * 2
        step = rows_per_block or max(1, (64 << 20) // row_bytes)
        for start in range(0, ny, step):
            yield start, self.rows(start, min(start + step, ny))

    def full(self) -> np.ndarray:
        return self.rows(0, self.spec.scan_shape[0])


def scan_data(size: str = "small") -> np.ndarray:
    """The whole scan of a size in memory (for tests and notebooks; small only in practice)."""
    return ScanGenerator(SIZES[size]).full()


def to_uint8(data: np.ndarray) -> np.ndarray:
    """Counts scaled into uint8 for the blockfile, which stores 8-bit frames: ``min(c // 4, 255)``."""
    return np.minimum(np.asarray(data) // 4, 255).astype(np.uint8)


# -- writers -----------------------------------------------------------------------------------
def _signal_dict(data: np.ndarray, spec: ScanSpec, title: str = "synthetic 4D-STEM scan") -> dict[str, Any]:
    return {
        "data": data,
        "axes": [dict(axis) for axis in spec.axes()],
        "metadata": {
            "General": {"title": title, "original_filename": "scan"},
            "Signal": {"signal_type": "electron_diffraction", "quantity": "Intensity (counts)"},
            "Acquisition_instrument": {
                "TEM": {
                    "beam_energy": spec.beam_energy_kev,
                    "camera_length": spec.camera_length_m * 1e3,
                    "convergence_angle": spec.convergence_mrad,
                    "Detector": {"Diffraction": {"exposure": spec.dwell_time_s}},
                }
            },
        },
        "original_metadata": {"generator": "jupyter_remotem.demo", "seed": spec.seed},
        "attributes": {"_lazy": False},
        "tmp_parameters": {},
        "learning_results": {},
        "models": {},
        "package_info": {"name": "jupyter_remotem", "version": "demo"},
    }


def _write_h5(target: Path, gen: ScanGenerator, chunked: bool) -> None:
    import h5py

    spec = gen.spec
    nx = spec.scan_shape[1]
    with h5py.File(target, "w") as f:
        f.attrs["creator"] = "jupyter_remotem demo-data"
        entry = f.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "title": "synthetic 4D-STEM scan"})
        instrument = entry.create_group("instrument")
        instrument.attrs.update({"beam_energy_keV": spec.beam_energy_kev, "camera_length_m": spec.camera_length_m})
        sample = entry.create_group("sample")
        sample.create_dataset("thickness_max_nm", data=80.0)
        sample.attrs["description"] = "crystal wedge with two grains"
        data = entry.create_group("data")
        frames = data.create_dataset(
            "frames", shape=spec.shape, dtype="<u2", chunks=(1, nx) + spec.frame_shape if chunked else None
        )
        frames.attrs.update(spec.attributes())
        bf = np.zeros(spec.scan_shape, dtype="<f4")
        sy, sx = spec.frame_shape
        for start, block in gen.blocks():
            frames[start : start + len(block)] = block
            bf[start : start + len(block)] = block[:, :, sy // 2 - 4 : sy // 2 + 4, sx // 2 - 4 : sx // 2 + 4].sum(
                axis=(2, 3)
            )
        reference = data.create_dataset("bright_field", data=bf)
        reference.attrs.update(
            {
                "axis_names": ["scan_y", "scan_x"],
                "axis_units": ["nm", "nm"],
                "axis_scales": [spec.scan_step_nm] * 2,
                "nav_ndim": 0,
            }
        )


def _write_npy(target: Path, gen: ScanGenerator) -> None:
    array = np.lib.format.open_memmap(target, mode="w+", dtype="<u2", shape=gen.spec.shape)
    for start, block in gen.blocks():
        array[start : start + len(block)] = block
    array.flush()
    del array


def _write_raw(target: Path, gen: ScanGenerator) -> None:
    with open(target, "wb") as out:
        for _, block in gen.blocks():
            out.write(block.astype("<u2", copy=False).tobytes())


def raw_sidecar(spec: ScanSpec) -> dict[str, Any]:
    return {
        "shape": list(spec.shape),
        "dtype": "<u2",
        "offset": 0,
        "nav_ndim": 2,
        "axes": [{k: a[k] for k in ("name", "scale", "offset", "units")} for a in spec.axes()],
        "beam_energy_keV": spec.beam_energy_kev,
        "camera_length_m": spec.camera_length_m,
        "detector": "synthetic",
    }


def _write_zarr(target: Path, gen: ScanGenerator) -> None:
    import zarr

    spec = gen.spec
    root = zarr.open_group(str(target), mode="w")
    root.attrs.update({"title": "synthetic 4D-STEM scan", "creator": "jupyter_remotem demo-data"})
    frames = root.create_dataset(
        "frames", shape=spec.shape, chunks=(1, spec.scan_shape[1]) + spec.frame_shape, dtype="<u2"
    )
    frames.attrs.update(spec.attributes())
    for start, block in gen.blocks():
        frames[start : start + len(block)] = block


def _write_hspy(target: Path, data: np.ndarray, spec: ScanSpec) -> None:
    from rsciio.hspy import file_writer

    file_writer(str(target), _signal_dict(data, spec), compression=None, shuffle=False, show_progressbar=False)


def _write_zspy(target: Path, data: np.ndarray, spec: ScanSpec) -> None:
    from rsciio.zspy import file_writer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        file_writer(str(target), _signal_dict(data, spec), show_progressbar=False)


def _write_blo(target: Path, data: np.ndarray, spec: ScanSpec) -> None:
    from rsciio.blockfile import file_writer

    signal = _signal_dict(to_uint8(data), spec)
    for axis in signal["axes"][2:]:  # blockfiles calibrate the frame in cm on the screen
        axis.update(units="cm", scale=0.01, offset=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        file_writer(str(target), signal, show_progressbar=False)


def _write_mib(target: Path, gen: ScanGenerator) -> None:
    from .formats.mib import write_mib

    write_mib(
        target, (block for _, block in gen.blocks()), gen.spec.scan_shape, exposure_ns=int(gen.spec.dwell_time_s * 1e9)
    )


#: The images of ``virtual_images.tif``: bright field inside the direct beam, annular dark
#: field around it, and the total counts (:func:`virtual_images`).
VIRTUAL_IMAGES = ("bright_field", "annular_dark_field", "total")


def virtual_images(data: np.ndarray, spec: ScanSpec) -> np.ndarray:
    """A stack of real-space images of the scan, float32 ``(3, *scan_shape)``: what a user
    exports from a 4D-STEM session and what TIFF stacks usually hold (see :data:`VIRTUAL_IMAGES`)."""
    sy, sx = spec.frame_shape
    y, x = np.mgrid[:sy, :sx]
    radius = np.hypot(y - sy / 2, x - sx / 2)
    frames = np.asarray(data, dtype=np.float32)
    bright = np.tensordot(frames, (radius <= sx / 10).astype(np.float32), axes=([2, 3], [0, 1]))
    dark = np.tensordot(frames, ((radius > sx / 8) & (radius <= sx / 2.5)).astype(np.float32), axes=([2, 3], [0, 1]))
    return np.stack([bright, dark, frames.sum(axis=(2, 3))]).astype(np.float32)


def _write_tiff(target: Path, data: np.ndarray, spec: ScanSpec) -> None:
    """An ImageJ stack calibrated in nm (the scan step), so viewers show real-space images."""
    import tifffile

    step = spec.scan_step_nm
    tifffile.imwrite(target, virtual_images(data, spec), imagej=True, resolution=(1 / step, 1 / step),
                     metadata={"axes": "CYX", "unit": "nm", "mode": "grayscale", "Labels": list(VIRTUAL_IMAGES)})


def _write_dm4(target: Path, data: np.ndarray, spec: ScanSpec) -> None:
    from .formats.dm4_writer import image_tree, write_dm4

    axes = spec.axes()
    tags = {
        "Microscope Info": {
            "Voltage": spec.beam_energy_kev * 1e3,
            "STEM Camera Length": spec.camera_length_m * 1e3,
            "Illumination Mode": "STEM",
            "Imaging Mode": "DIFFRACTION",
            "Name": "Synthetic STEM",
        },
        "Session Info": {"Operator": "demo", "Specimen": "crystal wedge, two grains"},
        "Meta Data": {"Format": "Diffraction image", "Signal": "Diffraction"},
    }
    tree = image_tree(
        data,
        scales=[a["scale"] for a in axes],
        offsets=[a["offset"] for a in axes],
        units=[a["units"] for a in axes],
        title="synthetic 4D-STEM scan",
        image_tags=tags,
    )
    write_dm4(target, tree)


README = """jupyter_remotem demo data
=========================

Synthetic 4D-STEM scans (scan_y, scan_x, ky, kx) of a crystal: vacuum on the left, a wedge of
specimen growing thicker to the right, two grains with a tilted grain boundary, a smooth descan
shift and Poisson noise.  The same counts are stored in every format:

  scan.h5             HDF5, /entry/data/frames, chunked by scan row, uncompressed, calibrated
  scan_contiguous.h5  the same, contiguous layout
  scan.npy            NumPy
  scan.raw            raw little-endian uint16, layout in scan.raw.json
  scan.zarr           Zarr v2 group, /frames, Blosc-compressed, chunked by scan row
  scan.hspy/.zspy     HyperSpy formats with calibrated axes
  scan.mib (+.hdr)    Quantum Detectors Merlin, 12-bit
  scan.blo            NanoMegas blockfile, counts // 4 clipped to uint8
  scan.dm4            DigitalMicrograph 4
  virtual_images.tif  not the counts: an ImageJ TIFF stack of three images made from them
                      (bright field, annular dark field, total), float32, calibrated in nm
  large/scan_large.h5 (only with --size large) a 2 GiB scan for speed tests

Regenerate with:  jupyter remotem demo-data DIR [--size small|large]
"""

NOTES = {
    "notes/acquisition.md": "# Acquisition\n\nSynthetic session. 200 kV, camera length 120 mm, 1 ms dwell.\n",
    "notes/todo.txt": "- virtual ADF of grain B\n- centre of mass vs descan shift\n",
    "notes/regions.csv": "region,scan_y,scan_x,note\nvacuum,8,2,reference\ngrain_A,16,12,thin\ngrain_B,16,26,thick\n",
}


@dataclass(frozen=True)
class Output:
    name: str
    write: Callable[[Path], None]
    is_dir: bool = False
    companions: tuple[str, ...] = ()


def _tree_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else -1


def _outputs(spec: ScanSpec, large: ScanSpec | None) -> list[Output]:
    gen = ScanGenerator(spec)
    cache: dict[str, np.ndarray] = {}

    def data() -> np.ndarray:
        if "full" not in cache:
            cache["full"] = gen.full()
        return cache["full"]

    def sidecar(path: Path) -> None:
        path.write_text(json.dumps(raw_sidecar(spec), indent=2) + "\n")

    outputs = [
        Output("scan.h5", lambda p: _write_h5(p, gen, chunked=True)),
        Output("scan_contiguous.h5", lambda p: _write_h5(p, gen, chunked=False)),
        Output("scan.npy", lambda p: _write_npy(p, gen)),
        Output("scan.raw", lambda p: _write_raw(p, gen)),
        Output("scan.raw.json", sidecar),
        Output("scan.zarr", lambda p: _write_zarr(p, gen), is_dir=True),
        Output("scan.hspy", lambda p: _write_hspy(p, data(), spec)),
        Output("scan.zspy", lambda p: _write_zspy(p, data(), spec), is_dir=True),
        Output("scan.mib", lambda p: _write_mib(p, gen), companions=("scan.hdr",)),
        Output("scan.blo", lambda p: _write_blo(p, data(), spec)),
        Output("scan.dm4", lambda p: _write_dm4(p, data(), spec)),
        Output("virtual_images.tif", lambda p: _write_tiff(p, data(), spec)),
    ]
    outputs += [Output(name, write) for name, write in volume_files()]  # a tomogram and its segmentation
    if large is not None:
        big = ScanGenerator(large)
        outputs.append(Output("large/scan_large.h5", lambda p: _write_h5(p, big, chunked=True)))
    return outputs


def generate(directory: str | os.PathLike[str], size: str = "small") -> list[Path]:
    """Write the demo tree under ``directory`` and return the paths of the files written or kept.

    Idempotent: a manifest records each output's size, and outputs that still match it are kept.
    Each output is written under a temporary name and renamed, so an interrupted run never
    leaves a half-written file that looks complete.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    manifest_path = root / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    spec = SIZES["small"]
    outputs = _outputs(spec, SIZES["large"] if size == "large" else None)
    written: list[Path] = []
    for output in outputs:
        target = root / output.name
        target.parent.mkdir(parents=True, exist_ok=True)
        key = output.name
        recorded = manifest.get(key)
        companions = [root / c for c in output.companions]
        if (
            recorded is not None
            and recorded.get("spec") == _spec_record(spec if not key.startswith("large/") else SIZES["large"])
            and _tree_size(target) == recorded.get("size")
            and all(c.exists() for c in companions)
        ):
            written.append(target)
            continue
        partial = target.with_name(target.name + ".partial")
        _remove(partial)
        log.info("writing %s", target)
        if output.companions:
            output.write(target)  # companions are named after the target, so write in place
        else:
            output.write(partial)
            _remove(target)
            os.replace(partial, target)
        manifest[key] = {
            "size": _tree_size(target),
            "spec": _spec_record(spec if not key.startswith("large/") else SIZES["large"]),
        }
        manifest_path.write_text(json.dumps(manifest, indent=1))
        written.append(target)
    from .cutouts.demo import generate as sky_tiles

    written += sky_tiles(root / "sky")  # survey tiles with real WCS for sky cutouts
    for name, text in {"README.txt": README, **NOTES}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written


def _spec_record(spec: ScanSpec) -> dict[str, Any]:
    """The spec as it reads back from the JSON manifest (tuples become lists)."""
    return json.loads(json.dumps(asdict(spec)))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
