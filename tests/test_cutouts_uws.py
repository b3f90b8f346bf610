"""UWS 1.1 at ``cutouts/async``, driven by pyvo unchanged: a job made from SODA parameters (two
surveys' IDs × several POS circles) is PENDING until pyvo's ``run()``, ``wait()`` blocks with
``WAIT=``, the document parses with pyvo's UWS parser (phase, quote, destruction, results linking
every file and the manifests), the files equal the real-time answers, ``abort()`` and
``delete()`` work, and refusals are the product's JSON errors."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import numpy as np
import pytest
import requests
from _api import call
from _cutouts import hdus_of, indexed_sky, sky_dir, sky_index_in_place, sync  # noqa: F401 - fixtures
from _cutouts_batch import batch_config, mosaic_positions, out_dir, server  # noqa: F401 - fixtures
from astropy.io import fits
from urllib.parse import urlencode


@pytest.fixture
def jp_server_config(repositories, sky_dir, out_dir, sky_index_in_place):
    return batch_config(repositories, sky_dir, out_dir)


@pytest.fixture
def session(server: Any) -> requests.Session:
    made = requests.Session()
    made.headers["Authorization"] = f"token {server.identity_provider.token}"
    yield made
    made.close()


def base_url(jp_http_port: int, jp_base_url: str) -> str:
    return f"http://localhost:{jp_http_port}{jp_base_url}remotem/api/cutouts/async"


async def off_loop(function: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def test_pyvo_drives_a_batch_through_its_phases(jp_fetch, server, session, sky_dir, jp_http_port, jp_base_url):
    from pyvo.dal.tap import AsyncTAPJob
    from pyvo.io import uws

    url = base_url(jp_http_port, jp_base_url)
    spots = mosaic_positions(sky_dir, 3, seed=21)
    form = [("ID", "demo_mosaic"), ("BAND", "g"), ("RUNID", "night-1")]
    form += [("POS", f"CIRCLE {p['ra']} {p['dec']} 0.002") for p in spots]
    form.append(("POS", "CIRCLE 10.0 45.0 0.002"))  # no tile there: a failed manifest row

    def create_and_run() -> dict[str, Any]:
        response = session.post(url, data=form)
        response.raise_for_status()
        assert response.history and response.history[0].status_code == 303
        job = AsyncTAPJob(response.url, session=session, delete=False)
        pending = job.phase
        quote, destruction = job.quote, job.destruction
        job.run()
        job.wait(timeout=120)
        document = uws.parse_job(io.BytesIO(session.get(job.url).content))
        return {"url": job.url, "pending": pending, "quote": quote, "destruction": destruction,
                "phase": job.phase, "uris": job.result_uris, "document": document}

    seen = await off_loop(create_and_run)
    assert seen["pending"] == "PENDING" and seen["phase"] == "COMPLETED"
    assert seen["quote"] is not None and seen["destruction"] is not None
    document = seen["document"]
    assert document.runid == "night-1" and document.jobid in seen["url"]
    parameters = {p.id_: p.content for p in document.parameters}
    assert parameters["ID"] == "demo_mosaic" and parameters["BAND"] == "g"
    ids = [r.id_ for r in document.results]
    assert ids[:3] == ["00001", "00002", "00003"] and ids[3:] == ["manifest", "manifest-csv", "zip"], ids
    for k, spot in enumerate(spots):
        data = await off_loop(lambda u: session.get(u).content, seen["uris"][k])
        expected = hdus_of(await sync(jp_fetch, ID="demo_mosaic", CIRCLE=f"{spot['ra']} {spot['dec']} 0.002",
                                      BAND="g"))
        np.testing.assert_array_equal(fits.open(io.BytesIO(data))["G"].data, expected["G"].data)
    manifest = await off_loop(lambda u: session.get(u).json(), seen["uris"][3])
    assert manifest["ok"] == 3 and manifest["failed"] == 1

    job_id = document.jobid

    def parts() -> dict[str, str]:
        return {part: session.get(f"{url}/{job_id}/{part}").text for part in ("phase", "quote", "owner")}

    answered = await off_loop(parts)
    assert answered["phase"] == "COMPLETED" and answered["quote"].endswith("Z")

    # Renewal: a DESTRUCTION far ahead is kept to the retention period from now; the past is refused.
    before = (await call(jp_fetch, "GET", "jobs", job_id))[1]["destruction"]

    def renew(when: str) -> tuple[int, str]:
        answer = session.post(f"{url}/{job_id}/destruction", data={"DESTRUCTION": when})
        return answer.status_code, session.get(f"{url}/{job_id}/destruction").text

    code, after = await off_loop(renew, "2999-01-01T00:00:00Z")
    assert code == 200 and after.endswith("Z")
    renewed = (await call(jp_fetch, "GET", "jobs", job_id))[1]["destruction"]
    assert renewed >= before and renewed < "2999", (before, renewed)
    code, _ = await off_loop(renew, "next tuesday")
    assert code == 400

    def delete() -> tuple[int, int]:
        AsyncTAPJob(f"{url}/{job_id}", session=session, delete=False).delete()
        return session.get(f"{url}/{job_id}").status_code, session.get(url).status_code

    gone, listing = await off_loop(delete)
    assert gone == 404 and listing == 200


async def test_wait_blocks_until_the_phase_changes_and_abort_stops(jp_fetch, server, session, sky_dir, jp_http_port,
                                                                    jp_base_url):
    from pyvo.dal.tap import AsyncTAPJob

    url = base_url(jp_http_port, jp_base_url)
    spot = mosaic_positions(sky_dir, 1)[0]

    def pending_then_abort() -> tuple[float, str, str]:
        response = session.post(url, data={"ID": "demo_mosaic", "POS": f"CIRCLE {spot['ra']} {spot['dec']} 0.001"})
        job = AsyncTAPJob(response.url, session=session, delete=False)
        started = time.monotonic()
        waited = session.get(job.url, params={"WAIT": "1"})  # PENDING is active: blocks for the whole second
        elapsed = time.monotonic() - started
        job.abort()
        return elapsed, waited.text, job.phase

    elapsed, waited, phase = await off_loop(pending_then_abort)
    assert 0.9 <= elapsed < 5 and "<uws:phase>PENDING</uws:phase>" in waited
    assert phase == "ABORTED"


async def test_uws_refusals_are_json_errors(jp_fetch, server):
    cases = [({"POS": "CIRCLE 150 2 0.001"}, "Name the survey"),
             ({"ID": "demo_mosaic", "POS": "POLYGON 150 2 150.01 2 150 2.01"}, "POLYGON"),
             ({"ID": "demo_mosaic", "POS": "CIRCLE 150 95 0.001"}, "dec"),
             ({"ID": "demo_mosaic", "POS": "CIRCLE 150 2 0.001", "COLOUR": "red"}, "Unknown parameter"),
             ({"ID": "nope", "POS": "CIRCLE 150 2 0.001"}, "no survey"),
             ({"ID": "demo_mosaic", "POS": "CIRCLE 150 2 0.001", "PHASE": "ABORT"}, "PHASE")]
    for form, words in cases:
        response = await jp_fetch("remotem", "api", "cutouts", "async", method="POST", body=urlencode(form),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}, raise_error=False)
        assert response.code == 400, (form, response.body[:300])
        error = json.loads(response.body)["error"]
        assert words.lower() in error["message"].lower() and error["hint"], (words, error)
    code, answer = await call(jp_fetch, "GET", "cutouts", "async", "0123-4567")
    assert code == 404


async def test_phase_run_on_creation_and_wait_returning_on_change(jp_fetch, server, session, sky_dir, jp_http_port,
                                                                   jp_base_url):
    url = base_url(jp_http_port, jp_base_url)
    spot = mosaic_positions(sky_dir, 1, seed=30)[0]

    def run() -> tuple[list[str], float]:
        response = session.post(url, data={"ID": "demo_mosaic", "POS": f"CIRCLE {spot['ra']} {spot['dec']} 0.001",
                                           "PHASE": "RUN", "NOTIFY": "email"})
        phases, started = [], time.monotonic()
        while time.monotonic() - started < 60:
            document = session.get(response.url, params={"WAIT": "30"}).text
            phase = document.split("<uws:phase>")[1].split("<")[0]
            phases.append(phase)
            if phase == "COMPLETED":
                break
        return phases, time.monotonic() - started, response.url.rsplit("/", 1)[-1]

    phases, elapsed, job_id = await off_loop(run)
    code, job = await call(jp_fetch, "GET", "jobs", job_id)
    assert job["notify"] == "email"
    assert phases[-1] == "COMPLETED" and "PENDING" not in phases
    assert elapsed < 30, "each WAIT returned when the phase changed, not after its 30 s"
