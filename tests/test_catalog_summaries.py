"""The data summaries the catalog keeps of each scan, against numpy on a generated scan whose
virtual images are known exactly: a uniform direct-beam disk (the bright field) and a ring of
scattering outside it (the annular dark field), each of its own strength per scan position."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_remotem.catalog.indexer import STATISTICS, statistics_rows
from jupyter_remotem.formats import open_dataset
from jupyter_remotem.storage.repository import Repository, RepositoryConfig

CENTRE = (14.0, 17.0)  # (y, x) on a 32 × 36 frame, off the middle
DISK_R, RING = 4.0, (7.0, 9.0)


def scan(bright: np.ndarray, dark: np.ndarray) -> np.ndarray:
    y, x = np.indices((32, 36))
    d = np.hypot(y - CENTRE[0], x - CENTRE[1])
    disk, ring = d <= DISK_R, (d >= RING[0]) & (d <= RING[1])
    frames = bright[..., None, None] * disk + dark[..., None, None] * ring
    return frames.astype(np.float32), int(disk.sum()), int(ring.sum())


@pytest.mark.parametrize("nav", [(6, 8), (5,), (7, 9)])
def test_bf_and_adf_summaries_equal_numpy(tmp_path, nav):
    rng = np.random.default_rng(len(nav))
    bright = rng.uniform(50, 100, nav)
    dark = rng.uniform(0.5, 3, nav)
    frames, n_disk, n_ring = scan(bright, dark)
    np.save(tmp_path / "scan.npy", frames)
    repository = Repository(RepositoryConfig.from_dict({"name": "t", "url": str(tmp_path)}))
    with open_dataset(repository, "scan.npy") as dataset:
        rows = {row.key: row.low for row in statistics_rows(dataset) if row.namespace == "data"}
    assert {"bf_mean", "bf_min", "bf_max", "bf_sum", "adf_mean", "adf_min", "adf_max", "adf_sum"} <= set(rows)
    assert set(rows) <= set(STATISTICS), "every key is declared"
    sampled = int(rows["sampled_frames"])
    assert sampled == frames[..., 0, 0].size, "a scan this small is sampled whole"
    for kind, strength, pixels in (("bf", bright, n_disk), ("adf", dark, n_ring)):
        image = strength * pixels  # the exact virtual image
        assert rows[f"{kind}_mean"] == pytest.approx(image.mean(), rel=1e-5), kind
        assert rows[f"{kind}_min"] == pytest.approx(image.min(), rel=1e-5), kind
        assert rows[f"{kind}_max"] == pytest.approx(image.max(), rel=1e-5), kind
        assert rows[f"{kind}_sum"] == pytest.approx(image.sum(), rel=1e-5), kind


def test_no_virtual_images_for_a_single_image_or_a_spectrum(tmp_path):
    np.save(tmp_path / "image.npy", np.ones((16, 16), np.float32))
    np.save(tmp_path / "spectrum.npy", np.ones(100, np.float32))
    repository = Repository(RepositoryConfig.from_dict({"name": "t", "url": str(tmp_path)}))
    for name in ("image.npy", "spectrum.npy"):
        with open_dataset(repository, name) as dataset:
            keys = {row.key for row in statistics_rows(dataset)}
        assert "mean" in keys and not {k for k in keys if k.startswith(("bf_", "adf_"))}, (name, keys)
