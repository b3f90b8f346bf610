"""Prometheus metrics on jupyter_server's ``/metrics``, scraped as Prometheus would after real
work: requests by handler and status, interactive reductions and the bytes they read, the
owner's jobs by phase, the queue, and the workers with how long ago each was heard of."""

from __future__ import annotations

import json

import pytest
from _api import WithServerWorker, call, job_finished, server_config
from prometheus_client.parser import text_string_to_metric_families

BF = {"operation": "virtual_detector", "params": {"detectors": [{"shape": "disk", "cx": 32, "cy": 32, "r": 8}]}}


async def scrape(jp_fetch) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await jp_fetch("metrics", method="GET")
    assert response.code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.body.decode())
            for sample in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class TestMetrics(WithServerWorker):
    @pytest.fixture
    def jp_server_config(self, repositories, tmp_path):
        (tmp_path / "out").mkdir()
        return server_config(repositories + [{"name": "out", "url": str(tmp_path / "out"), "writable": True}],
                             start_worker=True)

    async def test_work_shows_in_the_metrics(self, jp_fetch):
        before = await scrape(jp_fetch)
        response = await jp_fetch("remotem", "api", "reductions", method="POST",
                                  body=json.dumps(dict(BF, repository="demo", path="scan.h5")))
        bytes_read = json.loads(response.body)["stats"]["bytes_read"]
        assert bytes_read > 0
        code, _ = await call(jp_fetch, "POST", "reductions", body=dict(BF, repository="nowhere", path="x"))
        assert code == 404
        status, job = await call(jp_fetch, "POST", "jobs", body=dict(BF, repository="demo", path="scan.h5",
                                                                      output={"repository": "out", "path": "bf.h5"}))
        assert status == 201
        assert (await job_finished(jp_fetch, job["id"]))["phase"] == "COMPLETED"

        after = await scrape(jp_fetch)
        grew = lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)  # noqa: E731
        assert grew("remotem_requests_total", handler="ReductionsHandler", method="POST", code="200") == 1
        assert grew("remotem_requests_total", handler="ReductionsHandler", method="POST", code="404") == 1
        assert grew("remotem_request_duration_seconds_count", handler="ReductionsHandler") == 2
        assert grew("remotem_reductions_total", operation="virtual_detector") == 1
        assert grew("remotem_bytes_read_total", repository="demo") == bytes_read
        assert value(after, "remotem_jobs", phase="COMPLETED", kind="reduction") == 1
        assert value(after, "remotem_queue_length") == 0
        assert value(after, "remotem_workers") >= 1
        silences = [v for (name, _), v in after.items() if name == "remotem_worker_silence_seconds"]
        assert silences and min(silences) < 60
        # Nothing in the metrics names a path.
        response = await jp_fetch("metrics", method="GET")
        assert "scan.h5" not in response.body.decode() and "bf.h5" not in response.body.decode()


async def test_the_metrics_need_the_server_token(http_server_client, jp_base_url):
    response = await http_server_client.fetch(f"{jp_base_url}metrics", raise_error=False)
    assert response.code == 403
