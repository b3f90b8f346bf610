"""Generated survey tiles with real TAN WCS headers, for the demo lab and the tests.

Three surveys, each a different hard case:

* ``demo_mosaic`` — 2×2 overlapping tiles of one tangent projection near the equator, bands
  g, r, i, tile-compressed (``.fits.fz``, RICE).  The tiles are pieces of one larger image, so a
  cutout across an edge can be checked against ``Cutout2D`` on that image.  As in DES coadds,
  each tile file holds the image (``SCI``), a mask (``MSK``, int16 bits) and a weight (``WGT``,
  inverse variance), planes of the same larger images.
* ``demo_pole`` — a tile on the north celestial pole and four around it, each with its own
  tangent point, bands g and r, plain FITS.
* ``demo_ra0`` — two overlapping tiles of one projection straddling RA = 0 at Dec −30, band r,
  gzip-compressed FITS.

The sky is the same everywhere: galaxies and stars at fixed positions with a colour each, so
overlapping tiles show the same objects and colour pictures look like colour pictures.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from . import sphere

#: Relative brightness of every source in each band (bluer to redder objects).
BAND_WEIGHTS = {"g": 0.6, "r": 1.0, "i": 1.3}
#: Effective wavelengths of the demo bands (metres, as the DES g, r, i filters).
BAND_WAVELENGTHS = {"g": 4.80e-7, "r": 6.40e-7, "i": 7.80e-7}
MANIFEST = ".cutouts-demo.json"
#: The demo mosaic's planes: plane name → HDU name in its tile files (DES coadds' names).
MOSAIC_PLANES = {"weight": "WGT", "mask": "MSK"}
#: Mask bits of the demo planes.
MASK_BRIGHT, MASK_COLUMN, MASK_HIT = 1, 2, 4


@dataclass(frozen=True)
class Sources:
    """Objects on the sky: unit vectors, widths (arcsec), fluxes and colours."""

    vectors: np.ndarray
    sigma_arcsec: np.ndarray
    flux: np.ndarray
    colour: np.ndarray

    @classmethod
    def around(cls, ra: float, dec: float, radius_deg: float, count: int, seed: int) -> Sources:
        rng = np.random.default_rng(seed)
        centre = sphere.unit(ra, dec)
        east, north = sphere.tangent_basis(centre)
        r = radius_deg * np.sqrt(rng.uniform(0, 1, count))
        phi = rng.uniform(0, 2 * np.pi, count)
        t = np.tan(np.radians(r))
        vectors = centre + t[:, None] * (np.cos(phi)[:, None] * east + np.sin(phi)[:, None] * north)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        galaxy = rng.uniform(0, 1, count) < 0.4
        sigma = np.where(galaxy, rng.uniform(2.5, 8.0, count), 1.2)
        flux = 10 ** rng.uniform(1.5, 3.5, count)
        colour = rng.normal(0, 0.5, count)  # >0: redder
        return cls(vectors, sigma, flux, colour)


def tan_header(ra: float, dec: float, shape: tuple[int, int], pixscale: float, crpix: tuple[float, float],
               band: str, rotation_deg: float = 0.0) -> fits.Header:
    """A TAN header: tangent point (ra, dec) at 1-based pixel ``crpix``, north up, east left."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = list(crpix)
    scale = pixscale / 3600.0
    c, s = np.cos(np.radians(rotation_deg)), np.sin(np.radians(rotation_deg))
    wcs.wcs.cd = np.array([[-scale * c, scale * s], [scale * s, scale * c]])
    wcs.wcs.radesys = "ICRS"
    header = wcs.to_header()
    header["NAXIS"], header["NAXIS1"], header["NAXIS2"] = 2, shape[1], shape[0]
    header["FILTER"] = band
    header["BUNIT"] = "nanomaggy"
    header["TELESCOP"] = "remotem demo"
    return header


def render(header: fits.Header, sources: Sources, band: str, noise_seed: int | None) -> np.ndarray:
    """The sky on the header's pixel grid: each source drawn in the box of pixels within six
    widths of it (angles measured on the sphere, so tiles of different projections agree)."""
    ny, nx = int(header["NAXIS2"]), int(header["NAXIS1"])
    wcs = WCS(header, naxis=2)
    scale = float(np.sqrt(abs(np.linalg.det(wcs.pixel_scale_matrix)))) * 3600.0
    image = np.full((ny, nx), 0.5, dtype=np.float64)
    weight = BAND_WEIGHTS.get(band, 1.0)
    ra, dec = sphere.radec(sources.vectors)
    xs, ys = wcs.all_world2pix(ra, dec, 0)
    for k in range(len(ra)):
        sigma = sources.sigma_arcsec[k]
        reach = int(np.ceil(6 * sigma / scale)) + 1
        if not (np.isfinite(xs[k]) and np.isfinite(ys[k])):
            continue
        x0, x1 = max(int(xs[k]) - reach, 0), min(int(xs[k]) + reach + 1, nx)
        y0, y1 = max(int(ys[k]) - reach, 0), min(int(ys[k]) + reach + 1, ny)
        if x0 >= x1 or y0 >= y1:
            continue
        y, x = np.mgrid[y0:y1, x0:x1]
        pra, pdec = wcs.all_pix2world(x.ravel(), y.ravel(), 0)
        distance = sphere.angle(sphere.unit(pra, pdec), sources.vectors[k]) * 3600.0
        amplitude = sources.flux[k] * weight * (1 + sources.colour[k] * (weight - 1)) / (2 * np.pi * sigma**2)
        image[y0:y1, x0:x1] += (max(amplitude, 0) * np.exp(-0.5 * (distance / sigma) ** 2)).reshape(y1 - y0, x1 - x0)
    if noise_seed is not None:
        image += np.random.default_rng(noise_seed).normal(0, 0.05, image.shape)
    return image.astype(np.float32)


def write(path: Path, data: np.ndarray, header: fits.Header, planes: dict[str, np.ndarray] | None = None) -> None:
    """Write by the name's ending: ``.fits.fz`` tile-compressed (RICE), ``.fits.gz`` gzip, else plain.
    ``planes`` (EXTNAME → pixels of the image's shape) follow the image (then named ``SCI``), each
    with the image's WCS, in the image's compression."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    planes = planes or {}
    plane_header = header.copy()
    plane_header.remove("BUNIT", ignore_missing=True)
    if path.name.endswith(".fz"):
        def compressed(pixels: np.ndarray, head: fits.Header, name: str | None) -> fits.CompImageHDU:
            return fits.CompImageHDU(pixels, header=head, name=name, compression_type="RICE_1", quantize_level=16,
                                     tile_shape=(32, pixels.shape[1]))

        hdus = fits.HDUList([fits.PrimaryHDU(), compressed(data, header, "SCI" if planes else None)]
                            + [compressed(pixels, plane_header, name) for name, pixels in planes.items()])
        hdus.writeto(partial, overwrite=True)
    else:
        hdus = fits.HDUList([fits.PrimaryHDU(data, header=header)] + [
            fits.ImageHDU(pixels, header=plane_header, name=name) for name, pixels in planes.items()])
        if path.name.endswith(".gz"):
            import gzip

            with gzip.open(partial, "wb") as out:
                hdus.writeto(out)
        else:
            hdus.writeto(partial, overwrite=True)
    os.replace(partial, path)


def planes_of(image: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """A weight (inverse variance, float32) and a mask (int16 bits) for an image, as survey
    pipelines make them: bright cores flagged, a bad column with no weight, scattered hits; the
    weight varies smoothly (depth differs across a coadd)."""
    ny, nx = image.shape
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:ny, 0:nx]
    weight = (400.0 * (0.7 + 0.3 * np.cos(2 * np.pi * x / max(nx, 1)) * np.sin(2 * np.pi * y / max(ny, 1) + 0.5)))
    mask = np.zeros((ny, nx), dtype=np.int16)
    mask[image > 5.0] |= MASK_BRIGHT
    column = int(rng.integers(nx // 3, 2 * nx // 3)) if nx > 2 else 0
    mask[:, column] |= MASK_COLUMN
    hits = rng.uniform(0, 1, (ny, nx)) < 0.002
    mask[hits] |= MASK_HIT
    weight[:, column] = 0.0
    return {"weight": weight.astype(np.float32), "mask": mask}


def mosaic(root: Path, ra: float, dec: float, grid: tuple[int, int], tile: int, overlap: int, bands: list[str],
           ending: str, pixscale: float, seed: int, planes: dict[str, str] | None = None) -> dict[str, Any]:
    """Tiles cut from one image of one tangent projection; answers the parent image's header
    (for tests), the tile names with their pixel origin in it, and with ``planes`` (plane name →
    HDU name) the parent's planes per band, whose pieces each tile file holds beside its image."""
    step = tile - overlap
    shape = (grid[0] * step + overlap, grid[1] * step + overlap)
    radius = np.hypot(*shape) * pixscale / 3600.0 / 2
    sources = Sources.around(ra, dec, radius, 60, seed)
    parent = {}
    parent_planes: dict[str, dict[str, np.ndarray]] = {}
    tiles = {}
    for b, band in enumerate(bands):
        header = tan_header(ra, dec, shape, pixscale, ((shape[1] + 1) / 2, (shape[0] + 1) / 2), band)
        image = render(header, sources, band, noise_seed=seed * 100 + b)
        parent[band] = (header, image)
        made = planes_of(image, seed * 100 + b) if planes else {}
        parent_planes[band] = {name: made[name] for name in planes or {}}
        for ty in range(grid[0]):
            for tx in range(grid[1]):
                name = f"t{ty}{tx}"
                y0, x0 = ty * step, tx * step
                piece = tan_header(ra, dec, (tile, tile), pixscale,
                                   ((shape[1] + 1) / 2 - x0, (shape[0] + 1) / 2 - y0), band)
                pieces = {hdu: parent_planes[band][plane][y0:y0 + tile, x0:x0 + tile]
                          for plane, hdu in (planes or {}).items()}
                write(root / f"{name}_{band}{ending}", image[y0:y0 + tile, x0:x0 + tile], piece, pieces)
                tiles[name] = (y0, x0)
    return {"parent": parent, "tiles": tiles, "planes": parent_planes}


def pole(root: Path, bands: list[str], tile: int, pixscale: float, seed: int) -> None:
    """One tile on the north pole and four around it, each with its own tangent point."""
    side = tile * pixscale / 3600.0
    centres = {"p0": (0.0, 90.0)}
    for k, ra in enumerate((0.0, 90.0, 180.0, 270.0)):
        centres[f"p{k + 1}"] = (ra, 90.0 - 0.9 * side)
    sources = Sources.around(0.0, 90.0, 2 * side, 80, seed)
    for b, band in enumerate(bands):
        for k, (name, (ra, dec)) in enumerate(centres.items()):
            header = tan_header(ra, dec, (tile, tile), pixscale, ((tile + 1) / 2, (tile + 1) / 2), band,
                                rotation_deg=15.0 * k)
            write(root / f"{name}_{band}.fits", render(header, sources, band, noise_seed=seed + 10 * k + b), header)


def surveys(repository: str, prefix: str = "sky") -> list[dict[str, Any]]:
    """The survey configuration of the generated tiles in ``repository`` under ``prefix``."""
    base = prefix.strip("/")
    join = (lambda name: f"{base}/{name}") if base else (lambda name: name)  # noqa: E731
    return [
        {"name": "demo_mosaic", "repository": repository, "path": join("mosaic"), "bands": ["g", "r", "i"],
         "pattern": "{tile}_{band}.fits.fz", "pixscale": 0.5,
         "wavelengths": {b: BAND_WAVELENGTHS[b] for b in ["g", "r", "i"]}, "planes": dict(MOSAIC_PLANES),
         "description": "2×2 overlapping tile-compressed tiles near the equator, with weight and mask planes "
                        "(generated)"},
        {"name": "demo_pole", "repository": repository, "path": join("pole"), "bands": ["g", "r"],
         "pattern": "{tile}_{band}.fits", "pixscale": 1.0,
         "wavelengths": {b: BAND_WAVELENGTHS[b] for b in ["g", "r"]},
         "description": "Five tiles on and around the north celestial pole (generated)"},
        {"name": "demo_ra0", "repository": repository, "path": join("ra0"), "bands": ["r"],
         "pattern": "{tile}_{band}.fits.gz", "pixscale": 0.5,
         "wavelengths": {b: BAND_WAVELENGTHS[b] for b in ["r"]},
         "description": "Two gzip tiles straddling RA = 0 at Dec -30 (generated)"},
    ]


def generate(directory: str | os.PathLike[str], tile: int = 256) -> list[Path]:
    """Write the three demo surveys under ``directory`` (kept when already written alike)."""
    root = Path(directory)
    record = {"tile": tile, "version": 2}
    manifest = root / MANIFEST
    try:
        if json.loads(manifest.read_text()) == record:
            return sorted(p for p in root.rglob("*") if p.is_file())
    except (OSError, ValueError):
        pass
    mosaic(root / "mosaic", 150.0, 2.0, (2, 2), tile, tile // 8, ["g", "r", "i"], ".fits.fz", 0.5, seed=1,
           planes=MOSAIC_PLANES)
    pole(root / "pole", ["g", "r"], tile, 1.0, seed=2)
    mosaic(root / "ra0", 0.0, -30.0, (1, 2), tile, tile // 8, ["r"], ".fits.gz", 0.5, seed=3)
    manifest.write_text(json.dumps(record))
    return sorted(p for p in root.rglob("*") if p.is_file())
