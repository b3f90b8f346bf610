"""``GET repositories/{repo}/data/{path}?slice=``: parts of datasets as NPY, bounded in size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from _api import get, get_error, server_config
from _services import s3_repository


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, max_data_bytes=2_000_000)


@pytest.fixture(scope="module")
def scan(demo_dir):
    return np.load(demo_dir / "scan.npy")


@pytest.mark.parametrize(
    ("text", "selection"),
    [
        ("3,7", (3, 7)),
        ("0:4,10:20:3,::8,::8", (slice(0, 4), slice(10, 20, 3), slice(None, None, 8), slice(None, None, 8))),
        ("-1,...,5", (-1, Ellipsis, 5)),
        ("2:1", (slice(2, 1),)),
        ("::-5,0", (slice(None, None, -5), 0)),
    ],
)
@pytest.mark.parametrize("name", ["scan.npy", "scan.h5", "scan.zarr", "scan.mib"])
async def test_slices_equal_numpy(jp_fetch, scan, name, text, selection):
    response = await get(jp_fetch, "repositories", "demo", "data", name, slice=text)
    assert response.code == 200, response.body[:300]
    np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), scan[selection])


@pytest.mark.parametrize(
    ("text", "status", "fragment"),
    [
        ("a:b", 400, "cannot read"),
        ("1:2:3:4", 400, "cannot read"),
        ("99,0", 400, "out of range"),
        ("0,0,0,0,0", 400, "too many"),
        ("...,...", 400, "at most one"),
        ("0:1,0:1,::0", 400, "zero"),
        ("...", 413, "smaller slice"),
    ],
)
async def test_bad_or_too_large_slices_are_refused(jp_fetch, text, status, fragment):
    error = await get_error(jp_fetch, status, "repositories", "demo", "data", "scan.npy", slice=text)
    assert fragment in (error["message"] + " " + error["hint"]).lower()


class TestRemote:
    @pytest.fixture
    def repositories(self, repositories, s3_endpoint):
        return repositories + [s3_repository(s3_endpoint)]

    async def test_slices_from_s3(self, jp_fetch, scan):
        response = await get(jp_fetch, "repositories", "s3", "data", "scan.h5", slice="5,::2,10:30,10:30")
        assert response.code == 200, response.body[:300]
        np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), scan[5, ::2, 10:30, 10:30])
