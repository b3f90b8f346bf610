"""``c.cutouts(table, survey=..., size=...)`` from the notebook client: a pandas DataFrame with a
per-row override column becomes a batch job; ``wait()`` follows it, ``manifest()`` is a pandas
DataFrame (with each row's planes), ``download(folder)`` unpacks every file with both manifests, byte for byte those the
worker wrote.  Unknown keywords and columns are refused before anything is sent."""

from __future__ import annotations

import pandas as pd
import pytest
from _client import client, in_thread, kernel_env  # noqa: F401 - fixtures
from _cutouts import sky_dir  # noqa: F401 - fixtures
from _cutouts_batch import batch_config, mosaic_positions, out_dir, server  # noqa: F401 - fixtures
from astropy import units as u
from astropy.io import fits

from jupyter_remotem.client.cutouts import CutoutsJob


@pytest.fixture
def jp_server_config(repositories, sky_dir, out_dir):
    return batch_config(repositories, sky_dir, out_dir)


async def test_a_dataframe_batch_with_manifest_and_download(client, server, sky_dir, out_dir, tmp_path):
    frame = pd.DataFrame(mosaic_positions(sky_dir, 5, seed=2))
    frame["size"] = ["10pix", None, "12pix", None, "8pix"]
    frame["planes"] = [None, "weight,mask", None, None, None]
    frame.loc[len(frame)] = {"id": "far", "ra": 10.0, "dec": 45.0, "size": None}
    job = await in_thread(client.cutouts, frame, survey="demo_mosaic", size=16 * u.pix, bands=["g", "i"],
                          output=("out", "fromclient"))
    assert isinstance(job, CutoutsJob) and job.kind == "cutouts"
    await in_thread(job.wait, progress=False)
    table = await in_thread(job.manifest)
    assert isinstance(table, pd.DataFrame) and len(table) == 6
    by_id = table.set_index("id")
    assert by_id.loc["far", "status"] == "failed" and by_id.loc["far", "code"] == "no_overlap"
    assert list(by_id.loc[frame["id"][:5], "width"]) == [10, 16, 12, 16, 8]
    assert set(by_id.loc[frame["id"][:5], "band"]) == {"g,i"}
    assert list(table["planes"]) == ["", "weight,mask", "", "", "", ""], "the planes of each row; none is empty text"
    folder = await in_thread(job.download, tmp_path / "got")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{i}.fits" for i in frame["id"][:5]] + ["manifest.csv", "manifest.json"])
    for name in names:
        assert (folder / name).read_bytes() == (out_dir / "fromclient" / name).read_bytes()
    with fits.open(folder / f"{frame['id'][0]}.fits") as hdus:
        assert [h.name for h in hdus[1:]] == ["G", "I"] and hdus["I"].data.shape == (10, 10)


async def test_unknown_keywords_and_columns_are_refused_here(client):
    with pytest.raises(TypeError, match="unknown parameter 'colour'"):
        await in_thread(client.cutouts, [(150.0, 2.0)], survey="demo_mosaic", colour="red")
    with pytest.raises(TypeError, match="column 'magnitude'"):
        await in_thread(client.cutouts, [{"id": "a", "ra": 150.0, "dec": 2.0, "magnitude": 3}], survey="demo_mosaic")
