"""The demo generator: plausible physics, deterministic counts, idempotent writing, CLI."""

from __future__ import annotations

import os

import numpy as np
import pytest
from _data import demo_dir, demo_truth

from jupyter_remotem import cli, demo

SPEC = demo.SIZES["small"]


def centre_of_mass(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sy, sx = frames.shape[-2:]
    total = frames.sum(axis=(-2, -1), dtype=np.float64)
    cy = (frames.sum(axis=-1, dtype=np.float64) * np.arange(sy)).sum(axis=-1) / total
    cx = (frames.sum(axis=-2, dtype=np.float64) * np.arange(sx)).sum(axis=-1) / total
    return cy, cx


def test_scan_shows_vacuum_thickness_grains_and_beam_shift():
    data = demo_truth().astype(np.float64)
    sy, sx = SPEC.frame_shape
    y, x = np.mgrid[:sy, :sx]
    far = np.hypot(y - sy / 2, x - sx / 2) > 10  # beyond the direct beam wherever it is shifted
    direct = (data * ~far).sum(axis=(-2, -1))
    outside = (data * far).sum(axis=(-2, -1))
    vacuum, thick = (slice(None), slice(0, 4)), (slice(None), slice(-4, None))
    assert direct[vacuum].mean() > 1.5 * direct[thick].mean()
    assert outside[thick].mean() > 5 * outside[vacuum].mean()
    cy, cx = centre_of_mass(data)
    assert np.ptp(cx) > 2 and np.ptp(cy) > 1
    assert np.abs(np.diff(cx, axis=1)).max() < 1.5  # smooth, not jumping
    grain_a = data[:, 20:26].mean(axis=(0, 1))
    grain_b = data[:, 42:48].mean(axis=(0, 1))
    bragg_a = grain_a > 4 * np.median(grain_a)
    bragg_b = grain_b > 4 * np.median(grain_b)
    assert (bragg_a ^ bragg_b).sum() > 50  # different lattices


def test_counts_are_deterministic_and_independent_of_blocking():
    generator = demo.ScanGenerator(SPEC)
    full = demo_truth()
    np.testing.assert_array_equal(generator.rows(5, 8), full[5:8])
    blocks = np.concatenate([block for _, block in generator.blocks(rows_per_block=7)])
    np.testing.assert_array_equal(blocks, full)
    assert full.dtype == np.uint16 and full.shape == SPEC.shape


def test_large_size_is_about_two_gigabytes():
    assert demo.SIZES["large"].nbytes == 2 * 1024**3
    with pytest.raises(ValueError):
        demo.generate("/nonexistent-never-written", size="huge")


def test_demo_tree_has_every_format_and_some_folders():
    names = {p.relative_to(demo_dir()).as_posix() for p in demo_dir().rglob("*")}
    for name in [
        "scan.h5",
        "scan_contiguous.h5",
        "scan.npy",
        "scan.raw",
        "scan.raw.json",
        "scan.zarr",
        "scan.hspy",
        "scan.zspy",
        "scan.mib",
        "scan.hdr",
        "scan.blo",
        "scan.dm4",
        "virtual_images.tif",
        "README.txt",
        "notes/acquisition.md",
    ]:
        assert name in names
    assert not any(name.endswith(".partial") for name in names)


def test_generate_is_idempotent_and_repairs_damaged_files(tmp_path):
    first = demo.generate(tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in first if p.is_file()}
    assert demo.generate(tmp_path) == first
    assert {p: p.stat().st_mtime_ns for p in first if p.is_file()} == stamps
    with open(tmp_path / "scan.npy", "r+b") as f:
        f.truncate(1000)
    demo.generate(tmp_path)
    assert (tmp_path / "scan.npy").stat().st_size == (demo_dir() / "scan.npy").stat().st_size
    assert (tmp_path / "scan.h5").stat().st_mtime_ns == stamps[tmp_path / "scan.h5"]
    np.testing.assert_array_equal(np.load(tmp_path / "scan.npy", mmap_mode="r")[3], demo_truth()[3])


def test_cli_writes_demo_data(tmp_path, capsys):
    target = tmp_path / "demo"
    assert cli.main(["demo-data", str(target), "--size", "small"]) == 0
    printed = capsys.readouterr().out.split()
    assert str(target / "scan.h5") in printed
    assert os.path.getsize(target / "scan.raw") == SPEC.nbytes
    with pytest.raises(SystemExit):
        cli.main(["demo-data", str(target), "--size", "enormous"])
    with pytest.raises(SystemExit):
        cli.main([])
