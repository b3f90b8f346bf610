"""Real-time cutouts are quoted from the measured durations of earlier ones (per survey,
algorithm and size bucket): answered within the real-time limit, refused with the quote and
the batch call over it; the size rule stays the fallback and the hard cap."""

from __future__ import annotations

import pytest
from _cutouts import (  # noqa: F401 - fixtures
    error_of, hdus_of, indexed_sky, jp_server_config, sky_dir, sky_index_in_place, sync)

from jupyter_remotem.cutouts import history
from jupyter_remotem.jobs.models import ThroughputRecord

#: A 64 × 64 px cutout of one band.
PIXELS = 64 * 64


@pytest.fixture
def services(jp_serverapp):
    return jp_serverapp.web_app.settings["remotem"]


def recorded(services, operation):
    with services.jobs.reading() as session:
        return [(r.bytes, r.seconds) for r in session.query(ThroughputRecord)
                .filter(ThroughputRecord.operation == operation)]


async def test_a_survey_with_history_is_quoted_from_it(jp_fetch, services):
    operation = history.sync_operation("demo_mosaic", "native", PIXELS)
    assert operation == "cutouts-sync:demo_mosaic:native:4096"
    durations = [0.02, 0.05, 0.11]
    for seconds in durations:
        history.record_sync(services.jobs, "demo_mosaic", "sky", "native", PIXELS, seconds, None)
    response = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="64pix", bands="g")
    hdus_of(response)
    quoted = dict(part.strip().split("=") for part in response.headers["X-Cutout-Quote"].split(";"))
    assert quoted["basis"] == "history"
    expected = PIXELS / (len(durations) * PIXELS / sum(durations))  # pixels over the measured pixels per second
    assert float(quoted["seconds"]) == pytest.approx(expected, rel=1e-3)
    runs = recorded(services, operation)
    assert len(runs) == len(durations) + 1, "the answered request recorded its own duration"
    assert runs[-1][0] == PIXELS and 0 < runs[-1][1] < 60

    # Nothing measured in a bucket: the size rule alone decides, and the answer is timed for next time.
    small = await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="20pix", bands="g")
    hdus_of(small)
    assert "X-Cutout-Quote" not in small.headers
    assert len(recorded(services, history.sync_operation("demo_mosaic", "native", 400))) == 1


async def test_a_request_over_the_limit_by_history_is_refused_with_the_quote(jp_fetch, services):
    limit = services.cutouts.realtime_seconds
    history.record_sync(services.jobs, "demo_mosaic", "sky", "native", PIXELS, 4 * limit, None)
    history.record_sync(services.jobs, "demo_mosaic", "sky", "native", PIXELS // 2, 2 * limit, None)  # same bucket
    error = error_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="64pix", bands="g"), 413)
    quote = error["details"]["quote"]
    assert quote["basis"] == "history" and error["details"]["limit"] == "cutout_realtime_seconds"
    assert quote["seconds"] == pytest.approx(PIXELS * (4 * limit + 2 * limit) / (PIXELS + PIXELS // 2), rel=1e-3)
    assert quote["seconds"] > limit
    assert quote["pixels"] == PIXELS and quote["shape"] == [64, 64]
    batch = error["details"]["batch"]
    assert batch["url"] == "remotem/api/cutouts/jobs" and batch["body"]["positions"][0]["ra"] == 150.0

    # Another algorithm, or a size beyond the pixel cap, is judged by the size rule.
    hdus_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="64pix", bands="g",
                       algorithm="resample"))
    error = error_of(await sync(jp_fetch, survey="demo_mosaic", ra=150.0, dec=2.0, size="2000pix", bands="g"), 413)
    assert error["details"]["quote"]["basis"] == "size rule"
