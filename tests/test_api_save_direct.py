"""Saving what a viewer shows without a job when it is small (``POST saves``): a picked frame, an
FFT, any image; written by the job writers with their provenance, counted against the quota and
recorded in the ledger; the name checked before submitting; larger saves queued as jobs; PNGs
at a chosen size with a scale bar and a colour bar."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _api import call, job_finished, server_config, stop_started_worker
from _results import repositories  # noqa: F401 - fixture (results_dir comes from conftest)
from PIL import Image

from jupyter_remotem import render
from jupyter_remotem.formats.provenance import PROVENANCE_KEY

PICK = {"repository": "demo", "path": "scan.h5", "operation": "pick", "params": {"position": [3, 5]}}
RING = {"repository": "demo", "path": "scan.h5", "operation": "virtual_detector",
        "params": {"detectors": [{"shape": "ring", "cx": 32, "cy": 32, "ri": 12, "ro": 30}]}}


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories)


async def interactive(jp_fetch, body, **extra):
    code, answer = await call(jp_fetch, "POST", "reductions", body=dict(body, **extra))
    assert code == 200, answer
    return {name: np.array(a["data"], dtype=float) for name, a in answer["arrays"].items()}


def output(path, **extra):
    return {"repository": "results", "path": path, **extra}


class TestDirectSave:
    async def test_a_picked_frame_is_saved_at_once_as_a_finished_job(self, jp_fetch, results_dir):
        code, job = await call(jp_fetch, "POST", "saves", body=dict(PICK, output=output("frames/f.npy")))
        assert code == 201, job
        assert job["phase"] == "COMPLETED" and job["direct"] is True and job["kind"] == "reduction"
        assert [r["path"] for r in job["results"]] == ["frames/f.npy.json", "frames/f.npy"]
        expected = (await interactive(jp_fetch, PICK))["frame"]
        np.testing.assert_array_equal(np.load(results_dir / "frames" / "f.npy"), expected)
        sidecar = json.loads((results_dir / "frames" / "f.npy.json").read_text())
        record = sidecar["provenance"]
        assert record["operation"] == "pick" and record["job_id"] == job["id"] and record["executor"] == "direct"
        assert record["input"]["path"] == "scan.h5" and record["parameters"] == {"position": [3, 5]}
        # Listed with the user's jobs, its files (and the folder it made) in the ledger and the quota.
        code, listed = await call(jp_fetch, "GET", "jobs")
        assert job["id"] in [j["id"] for j in listed["jobs"]]
        assert job["written"]["files"] == 2 and job["written"]["folders"] == 1, job["written"]
        size = sum(r["size"] for r in job["results"])
        code, quota = await call(jp_fetch, "GET", "quota")
        assert quota["usage"]["storage_bytes"] == size and quota["usage"]["reserved_bytes"] == 0
        # Deleting the job removes exactly what it wrote.
        code, _ = await call(jp_fetch, "DELETE", "jobs", job["id"])
        assert code == 204
        assert not (results_dir / "frames").exists()

    async def test_pick_still_needs_no_job_but_saves_directly(self, jp_fetch):
        code, refused = await call(jp_fetch, "POST", "jobs", body=dict(PICK, output=output("f.npy")))
        assert code == 400 and "answers at once" in refused["error"]["message"]
        code, job = await call(jp_fetch, "POST", "saves", body=dict(PICK, output=output("f.npy")))
        assert code == 201 and job["phase"] == "COMPLETED", job

    @pytest.mark.parametrize("body", [PICK, RING], ids=["frame", "navigation"])
    async def test_the_fft_of_a_shown_image_is_saved(self, jp_fetch, results_dir, body):
        code, job = await call(jp_fetch, "POST", "saves", body=dict(body, fft=True, output=output("fft.hspy")))
        assert code == 201, job
        assert job["request"]["fft"] is True
        code, job = await call(jp_fetch, "POST", "saves", body=dict(body, fft=True, output=output("fft.npy")))
        assert code == 201, job
        shown = await interactive(jp_fetch, body, fft=True)
        primary = "frame" if body is PICK else "intensity"
        np.testing.assert_allclose(np.load(results_dir / "fft.npy"), shown[primary])
        import rsciio.hspy

        signal = rsciio.hspy.file_reader(str(results_dir / "fft.hspy"))[0]
        assert signal["axes"][-1]["units"] == "1/px", "an FFT's axes are reciprocal"
        assert json.loads(signal["original_metadata"][PROVENANCE_KEY])["request"]["fft"] is True

    async def test_the_name_is_checked_before_saving_and_the_overwrite_refusal_guards(self, jp_fetch, results_dir):
        body = dict(PICK, output=output("pick.png"))
        code, dry = await call(jp_fetch, "POST", "saves", body=body, dry_run=1)
        assert code == 200, dry
        assert dry["direct"] is True and dry["target"] == {"exists": False, "free_path": "pick.png"}
        assert dry["quota"]["fits"] is True and dry["quote"]["bytes_written"] > 0
        assert not (results_dir / "pick.png").exists(), "a dry run writes nothing"
        code, first = await call(jp_fetch, "POST", "saves", body=body)
        assert code == 201, first
        (results_dir / "pick-1.png").write_bytes(b"taken too")
        code, dry = await call(jp_fetch, "POST", "saves", body=body, dry_run=1)
        assert dry["target"] == {"exists": True, "free_path": "pick-2.png"}, dry
        code, refused = await call(jp_fetch, "POST", "saves", body=body)
        assert code == 409 and refused["error"]["code"] == "conflict", refused
        assert '"overwrite": true' in refused["error"]["hint"]
        code, jobs = await call(jp_fetch, "GET", "jobs")
        assert len(jobs["jobs"]) == 1, "a refused save leaves no job"
        code, replaced = await call(jp_fetch, "POST", "saves", body=dict(PICK, output=output("pick.png", overwrite=True)))
        assert code == 201, replaced

    async def test_bad_saves_are_refused_with_the_reason(self, jp_fetch):
        cases = [
            (dict(PICK, output={"repository": "demo", "path": "f.npy"}), 403, "read-only"),
            (dict(RING, step=2, output=output("r.npy")), 400, "a saved result reads every frame"),
            (dict(RING, operation="crop", params={}, output=output("c.h5")), 400, "runs as a job"),
            (dict(PICK, params={"position": [999, 0]}, output=output("f.npy")), 400, "outside the scan"),
            (dict(PICK, output=output("f.npy"), view={"nav": {"cmap": "jet"}}), 400, "view.nav.cmap"),
            (dict(PICK, output=output("f.png"), view={"picture": {"size": 3}}), 400, "view.picture.size"),
            (dict(PICK, repository="nowhere", output=output("f.npy")), 404, "nowhere"),
        ]
        for body, status, fragment in cases:
            code, refused = await call(jp_fetch, "POST", "saves", body=body)
            assert code == status, (body, refused)
            assert fragment in refused["error"]["message"], refused
            assert refused["error"]["hint"], refused

    async def test_a_png_at_a_chosen_size_with_scale_bar_and_colour_bar(self, jp_fetch, results_dir):
        display = {"cmap": "viridis", "scaling": {"mode": "linear"}, "auto": True}
        view = {"mode": "detector", "nav": display, "picture": {"size": 320, "scaleBar": True, "colourBar": True}}
        code, job = await call(jp_fetch, "POST", "saves", body=dict(RING, output=output("ring.png"), view=view))
        assert code == 201, job
        shown = (await interactive(jp_fetch, RING))["intensity"][..., 0]
        picture = np.asarray(Image.open(results_dir / "ring.png").convert("RGBA"))
        image_size = render.fit_size(shown.shape, 320)
        assert picture.shape[0] == image_size[1] and max(image_size) == 320
        assert picture.shape[1] > image_size[0], "the colour bar is a strip right of the image"
        drawn = np.asarray(Image.fromarray(render.draw(shown, "viridis", render.Scaling(), True)).resize(
            image_size, Image.Resampling.NEAREST))
        image = picture[:, : image_size[0]]
        # The image is the shown one, enlarged, except where the scale bar is drawn (lower left).
        upper = slice(0, image_size[1] // 2)
        np.testing.assert_array_equal(image[upper], drawn[upper])
        lower_left = image[image_size[1] * 3 // 4:, : image_size[0] // 2, :3]
        white = np.all(lower_left == 255, axis=-1)
        assert white.sum() > 100, "a white scale bar (viridis has no white)"
        # The colour bar: a column whose rows run through the viridis table, top to bottom.
        strip = picture[:, image_size[0]:, :3]
        table = render.lut("viridis")
        columns = [x for x in range(strip.shape[1]) if _is_colour_bar(strip[:, x], table)]
        assert len(columns) >= 8, "columns of the strip run through the colormap, top entry first"
        # The same picture options with the scale bar off draw no white there.
        view["picture"] = {"size": 320, "colourBar": False, "scaleBar": False}
        code, job = await call(jp_fetch, "POST", "saves", body=dict(RING, output=output("plain.png"), view=view))
        plain = np.asarray(Image.open(results_dir / "plain.png").convert("RGBA"))
        assert plain.shape[:2] == (image_size[1], image_size[0])
        np.testing.assert_array_equal(plain, drawn)

    async def test_a_png_without_picture_options_is_one_pixel_per_value(self, jp_fetch, results_dir):
        code, job = await call(jp_fetch, "POST", "saves", body=dict(PICK, output=output("raw.png"),
                                                                      view={"frame": {"cmap": "magma"}}))
        assert code == 201, job
        frame = (await interactive(jp_fetch, PICK))["frame"]
        picture = Image.open(results_dir / "raw.png")
        assert picture.size == (frame.shape[1], frame.shape[0])
        assert json.loads(picture.text[PROVENANCE_KEY])["provenance"]["job_id"] == job["id"]

    async def test_views_declare_the_picture_options(self, jp_fetch):
        code, contract = await call(jp_fetch, "GET", "views")
        assert code == 200
        picture = contract["schema"]["properties"]["picture"]
        assert set(picture["properties"]) == {"size", "scaleBar", "colourBar"}
        assert picture["properties"]["size"]["maximum"] == contract["picture"]["sizes"][1]
        assert contract["picture"]["default_size"] >= picture["properties"]["size"]["minimum"]


def _is_colour_bar(column: np.ndarray, table: np.ndarray) -> bool:
    """Whether a column of pixels holds, between its borders, only entries of ``table`` running
    from the top entry down to the lowest."""
    inside = [tuple(p) for p in column if tuple(p) not in ((255, 255, 255), (0, 0, 0))]
    if len(inside) < 50:
        return False
    entries = {tuple(c): i for i, c in enumerate(table)}
    indices = [entries.get(p) for p in inside]
    return None not in indices and indices[0] == 255 and indices[-1] == 0 and indices == sorted(indices, reverse=True)


class TestLargeSavesGoThroughAJob:
    @pytest.fixture
    def jp_server_config(self, repositories):
        # Every reduction of the whole scan is "too large" here; one frame never is.
        return server_config(repositories, interactive_limit=1e-9, start_worker=True)

    @pytest.fixture(autouse=True)
    def stop_worker(self, jp_serverapp):
        yield
        stop_started_worker(jp_serverapp)

    async def test_a_large_save_is_queued_and_a_pick_is_still_direct(self, jp_fetch, results_dir):
        code, dry = await call(jp_fetch, "POST", "saves", body=dict(RING, output=output("ring.npy")), dry_run=1)
        assert code == 200 and dry["direct"] is False, dry
        code, job = await call(jp_fetch, "POST", "saves", body=dict(RING, output=output("ring.npy")))
        assert code == 202 and job["direct"] is False and job["phase"] in ("QUEUED", "EXECUTING", "COMPLETED"), job
        done = await job_finished(jp_fetch, job["id"])
        assert done["phase"] == "COMPLETED", done
        assert (results_dir / "ring.npy").exists()
        code, job = await call(jp_fetch, "POST", "saves", body=dict(PICK, output=output("f.npy")))
        assert code == 201 and job["direct"] is True, job

    async def test_a_large_fft_runs_as_a_job_and_is_the_fft_of_the_whole_image(self, jp_fetch, results_dir):
        async def saved(body, path):
            code, job = await call(jp_fetch, "POST", "saves", body=dict(body, output=output(path)))
            assert code == 202 and job["direct"] is False, job
            done = await job_finished(jp_fetch, job["id"])
            assert done["phase"] == "COMPLETED", done
            return done

        job = await saved(dict(RING, fft=True), "f.npy")
        assert job["request"]["fft"] is True, job
        await saved(RING, "image.npy")
        image = np.load(results_dir / "image.npy")
        # numpy's own, over the scan axes (the last axis is the one detector).
        expected = np.abs(np.fft.fftshift(np.fft.fft2(image, axes=(0, 1)), axes=(0, 1)))
        np.testing.assert_allclose(np.load(results_dir / "f.npy"), expected, rtol=1e-9, atol=1e-6)
        sidecar = json.loads((results_dir / "f.npy.json").read_text())
        assert sidecar["provenance"]["request"]["fft"] is True

    async def test_a_transformation_takes_no_fft(self, jp_fetch):
        body = {"repository": "demo", "path": "scan.h5", "operation": "crop", "params": {"nav": [[0, 2], [0, 2]]},
                "fft": True, "output": output("c.h5")}
        code, refused = await call(jp_fetch, "POST", "jobs", body=body)
        assert code == 400 and "fft" in refused["error"]["message"], refused


class TestDirectSavesCountAgainstTheQuota:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="ada", quotas={"default": {"storage_bytes": 100}})

    async def test_a_save_that_would_not_fit_is_refused_and_writes_nothing(self, jp_fetch, results_dir):
        body = dict(PICK, output=output("f.npy"))
        code, dry = await call(jp_fetch, "POST", "saves", body=body, dry_run=1)
        assert dry["quota"]["fits"] is False and "storage quota" in dry["quota"]["reason"], dry
        code, refused = await call(jp_fetch, "POST", "saves", body=body)
        assert code == 403 and refused["error"]["code"] == "quota_exceeded", refused
        assert list(results_dir.iterdir()) == []
        code, jobs = await call(jp_fetch, "GET", "jobs")
        assert jobs["jobs"] == []



class TestDirectSavesCountTheirComputingTime:
    async def test_a_direct_save_counts_from_when_its_computation_began(self, jp_fetch, jp_serverapp, results_dir):
        services = jp_serverapp.web_app.settings["remotem"]
        code, job = await call(jp_fetch, "POST", "saves", body=dict(RING, output=output("ring.npy")))
        assert code == 201 and job["direct"] is True, job
        assert job["started"] is not None and job["created"] <= job["ended"], job
        # Computing began before the record was made: the record's start says so.
        assert job["started"] < job["created"], job
        usage = services.jobs.usage(job["owner"], 30)
        assert usage.compute_s > 0, usage
