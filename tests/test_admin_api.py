"""``admin/...`` over REST on a real Jupyter server whose job store also holds another user's
jobs (as a hub's shared database does): only administrators see it (everyone else, tokens
without the ``admin`` scope too, gets the 404 of an endpoint that does not exist); filters,
pagination, the queue in the order workers take it, pause/resume, re-prioritise, requeue and
cancel, each recorded where the job's owner reads it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from _api import call, server_config

from jupyter_remotem.errors import Conflict
from jupyter_remotem.jobs.models import KINDS, Job, Phase, utcnow

ADMIN_PATHS = [("GET", "admin"), ("GET", "admin/jobs"), ("GET", "admin/queue"), ("GET", "admin/workers"),
               ("GET", "admin/throughput"), ("GET", "admin/quotas"), ("GET", "admin/quotes"),
               ("GET", "admin/nonesuch"), ("POST", "admin/jobs/0000/cancel")]


@pytest.fixture
def jp_server_config(repositories):
    return server_config(repositories, owner="root", user_groups=["staff"], admin_groups=["staff"])


@pytest.fixture
def services(jp_serverapp):
    return jp_serverapp.web_app.settings["remotem"]


def job_for(services, owner: str, kind: str = "reduction", priority: int = 0, groups=("microscopy",), **request):
    body = {"repository": "demo", "path": "scan.h5", "operation": "sum", **request}
    return services.jobs.create(owner, kind, body, priority=priority, quote={"seconds": 10.0, "bytes": 1},
                                groups=groups)


async def fetch_as(http_server_client, jp_base_url, secret: str, method: str, path: str):
    return await http_server_client.fetch(f"{jp_base_url}remotem/api/{path}", method=method,
                                          body="{}" if method == "POST" else None,
                                          headers={"Authorization": f"token {secret}"}, raise_error=False)


async def test_admin_sees_every_users_jobs_with_filters_and_pages(jp_fetch, services):
    code, info = await call(jp_fetch, "GET", "admin")
    assert code == 200 and info["admin"] == "root" and info["kinds"] == sorted(KINDS), info
    mine = job_for(services, "root")
    bobs = [job_for(services, "bob", kind="copy") for _ in range(3)]
    code, listing = await call(jp_fetch, "GET", "admin/jobs")
    assert code == 200, listing
    assert {job["id"] for job in listing["jobs"]} == {mine.id, *(job.id for job in bobs)}
    assert listing["total"] == 4 and listing["users"] == ["bob", "root"]
    assert {job["owner"] for job in listing["jobs"]} == {"root", "bob"}
    code, own = await call(jp_fetch, "GET", "jobs")
    assert [job["id"] for job in own["jobs"]] == [mine.id], "the owner's own list stays their own"
    code, only_bob = await call(jp_fetch, "GET", "admin/jobs", user="bob")
    assert {job["id"] for job in only_bob["jobs"]} == {job.id for job in bobs}
    code, copies = await call(jp_fetch, "GET", "admin/jobs", kind="reduction")
    assert [job["id"] for job in copies["jobs"]] == [mine.id]
    services.jobs.request_action(bobs[0].id, "bob", "cancel")
    code, aborted = await call(jp_fetch, "GET", "admin/jobs", phase="ABORTED")
    assert [job["id"] for job in aborted["jobs"]] == [bobs[0].id]
    code, page = await call(jp_fetch, "GET", "admin/jobs", limit=2, offset=0)
    code, rest = await call(jp_fetch, "GET", "admin/jobs", limit=2, offset=2)
    assert len(page["jobs"]) == 2 and len(rest["jobs"]) == 2 and page["total"] == 4
    assert {j["id"] for j in page["jobs"]} | {j["id"] for j in rest["jobs"]} == {mine.id, *(j.id for j in bobs)}
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    code, none = await call(jp_fetch, "GET", "admin/jobs", since=later)
    assert none["jobs"] == [] and none["total"] == 0
    earlier = (utcnow() - timedelta(minutes=5)).isoformat()
    assert (await call(jp_fetch, "GET", "admin/jobs", since=earlier))[1]["total"] == 4


@pytest.mark.parametrize("query", [{"phase": "RUNNING"}, {"kind": "nonesuch"}, {"since": "yesterday"},
                                   {"limit": "0"}, {"limit": "100000"}, {"offset": "-1"}, {"limit": "x"}])
async def test_bad_filters_are_400_with_code_message_and_hint(jp_fetch, query):
    code, body = await call(jp_fetch, "GET", "admin/jobs", **query)
    assert code == 400, body
    assert set(body["error"]) >= {"code", "message", "hint"} and body["error"]["code"] == "bad_parameter"


async def test_bad_actions_are_4xx_with_the_error_body(jp_fetch, services):
    job = job_for(services, "bob")
    for body in ({"priority": "high"}, {"priority": 10**12}, {}, {"priority": 1, "extra": 2}, [1]):
        code, answer = await call(jp_fetch, "POST", "admin/jobs", job.id, "priority", body=body)
        assert code == 400 and set(answer["error"]) >= {"code", "message", "hint"}, (body, answer)
    code, answer = await call(jp_fetch, "POST", "admin/jobs", job.id, "explode")
    assert code == 400 and answer["error"]["code"] == "bad_parameter"
    code, answer = await call(jp_fetch, "POST", "admin/jobs", job.id, "requeue")
    assert code == 409 and answer["error"]["code"] == "conflict", "only a failed job is requeued"
    code, answer = await call(jp_fetch, "POST", "admin/jobs", "1234abcd", "cancel")
    assert code == 404 and answer["error"]["code"] == "not_found"
    code, answer = await call(jp_fetch, "GET", "admin/throughput", bucket="minute")
    assert code == 400
    code, answer = await call(jp_fetch, "GET", "admin/throughput", bucket="hour", since="2000-01-01T00:00:00Z")
    assert code == 400 and "buckets" in answer["error"]["message"], "bounded: no answer of a million buckets"


async def test_pause_holds_a_job_out_of_the_queue_until_an_admin_resumes_it(jp_fetch, services):
    job = job_for(services, "bob")
    code, paused = await call(jp_fetch, "POST", "admin/jobs", job.id, "pause")
    assert code == 200 and paused["phase"] == "SUSPENDED" and paused["paused_by"] == "root", paused
    assert services.jobs.claim("probe-worker") is None, "a worker does not take a paused job"
    with pytest.raises(Conflict, match="administrator"):
        services.jobs.request_action(job.id, "bob", "resume")
    code, queue = await call(jp_fetch, "GET", "admin/queue")
    assert queue["queue"] == [] and [j["id"] for j in queue["held"]] == [job.id]
    code, resumed = await call(jp_fetch, "POST", "admin/jobs", job.id, "resume")
    assert code == 200 and resumed["phase"] == "QUEUED" and resumed["paused_by"] is None
    claimed = services.jobs.claim("probe-worker")
    assert claimed is not None and claimed.id == job.id, "released, the job is taken"
    record = services.jobs.history(job.id, "bob")
    assert [(a["admin"], a["action"]) for a in record["admin_actions"]] == [("root", "pause"), ("root", "resume")]
    assert any("pause by administrator root" in h["message"] for h in record["history"])


async def test_reprioritising_changes_the_order_workers_take_jobs(jp_fetch, services):
    first = job_for(services, "root", priority=5)
    second = job_for(services, "bob", priority=1)
    third = job_for(services, "bob", priority=1)
    code, queue = await call(jp_fetch, "GET", "admin/queue")
    assert [(j["id"], j["position"]) for j in queue["queue"]] == [(first.id, 1), (second.id, 2), (third.id, 3)]
    code, raised = await call(jp_fetch, "POST", "admin/jobs", third.id, "priority", body={"priority": 9})
    assert code == 200 and raised["priority"] == 9
    code, queue = await call(jp_fetch, "GET", "admin/queue")
    assert [j["id"] for j in queue["queue"]] == [third.id, first.id, second.id]
    taken = [services.jobs.claim("probe-worker").id for _ in range(3)]
    assert taken == [third.id, first.id, second.id], "the queue shown is the order workers take"
    code, record = await call(jp_fetch, "GET", "admin/jobs", third.id)
    assert record["admin_actions"][-1]["detail"] == "priority 1 -> 9"


async def test_cancel_and_requeue_are_recorded_for_the_owner(jp_fetch, services):
    waiting = job_for(services, "bob")
    code, cancelled = await call(jp_fetch, "POST", "admin/jobs", waiting.id, "cancel")
    assert code == 200 and cancelled["phase"] == "ABORTED"
    running = job_for(services, "bob")
    assert services.jobs.claim("probe-worker").id == running.id
    code, asked = await call(jp_fetch, "POST", "admin/jobs", running.id, "cancel")
    assert code == 200 and asked["phase"] == "EXECUTING" and asked["action"] == "cancel"
    from jupyter_remotem.jobs.models import Action

    assert services.jobs.update_progress(running.id, "probe-worker", None) is Action.CANCEL, \
        "the worker running it is told to stop"
    failed = job_for(services, "bob")
    assert services.jobs.claim("probe-worker").id == failed.id
    services.jobs.finish(failed.id, Phase.ERROR, error={"kind": "fatal", "code": "x", "message": "disk full"},
                         worker_id="probe-worker")
    code, again = await call(jp_fetch, "POST", "admin/jobs", failed.id, "requeue")
    assert code == 200 and again["phase"] == "QUEUED" and again["error"] is None and again["ended"] is None
    assert services.jobs.claim("probe-worker").id == failed.id, "requeued, it runs again"
    record = services.jobs.history(failed.id, "bob")  # what its owner reads in GET jobs/{id}
    assert record["admin_actions"][0]["action"] == "requeue" and "disk full" in record["admin_actions"][0]["detail"]
    assert [h["phase"] for h in record["history"]] == ["QUEUED", "EXECUTING", "ERROR", "QUEUED", "EXECUTING"]


async def test_the_owner_reads_admin_actions_in_the_job_record(jp_fetch, services):
    mine = job_for(services, "root")
    await call(jp_fetch, "POST", "admin/jobs", mine.id, "priority", body={"priority": 4})
    code, record = await call(jp_fetch, "GET", "jobs", mine.id)
    assert code == 200
    assert [(a["admin"], a["action"], a["detail"]) for a in record["admin_actions"]] == \
        [("root", "priority", "priority 0 -> 4")]


async def test_workers_throughput_quotas_and_quotes(jp_fetch, services):
    store = services.jobs
    store.announce_worker("host:1:alive", 1e6)
    done = job_for(services, "bob")
    store.claim("host:1:alive")
    store.finish(done.id, Phase.COMPLETED, results=[], worker_id="host:1:alive")
    broken = job_for(services, "root", groups=("staff",))
    store.claim("host:1:alive")
    store.finish(broken.id, Phase.ERROR, error={"message": "no"}, worker_id="host:1:alive")
    running = job_for(services, "bob")
    store.claim("host:1:alive")
    code, workers = await call(jp_fetch, "GET", "admin/workers")
    worker = next(w for w in workers["workers"] if w["worker_id"] == "host:1:alive")
    assert worker["alive"] and worker["max_read_rate"] == 1e6 and [j["id"] for j in worker["jobs"]] == [running.id]
    code, series = await call(jp_fetch, "GET", "admin/throughput", bucket="hour")
    assert code == 200 and series["bucket"] == "hour" and len(series["buckets"]) >= 48
    totals = {k: sum(b[k] for b in series["buckets"]) for k in ("completed", "failed", "aborted")}
    assert totals == {"completed": 1, "failed": 1, "aborted": 0}
    assert series["buckets"][-1]["kinds"] == {"reduction:completed": 1, "reduction:failed": 1}
    code, days = await call(jp_fetch, "GET", "admin/throughput", bucket="day")
    assert sum(b["completed"] for b in days["buckets"]) == 1
    code, quotas = await call(jp_fetch, "GET", "admin/quotas")
    users = {u["user"]: u for u in quotas["users"]}
    assert set(users) == {"bob", "root"} and users["bob"]["groups"] == ["microscopy"]
    assert users["bob"]["usage"]["reserved_hours"] > 0, "bob's running job reserves its quote"
    assert {g["group"] for g in quotas["groups"]} == {"microscopy", "staff"}
    code, quotes = await call(jp_fetch, "GET", "admin/quotes")
    assert [r["id"] for r in quotes["records"]] == [done.id]
    record = quotes["records"][0]
    assert record["quoted_s"] == 10.0 and record["error"] == pytest.approx((record["actual_s"] - 10) / 10, abs=1e-3)
    assert quotes["by_kind"]["reduction"]["jobs"] == 1


class TestNotAdministrators:
    @pytest.fixture
    def jp_server_config(self, repositories):
        return server_config(repositories, owner="carol", user_groups=["microscopy"], admin_groups=["staff"])

    @pytest.mark.parametrize("method,path", ADMIN_PATHS)
    async def test_every_admin_path_is_the_404_of_a_missing_endpoint(self, jp_fetch, method, path):
        code, body = await call(jp_fetch, method, *path.split("/"), body={} if method == "POST" else None)
        missing_code, missing = await call(jp_fetch, "GET", "nonesuch")
        assert code == 404 == missing_code and body == missing, body

    async def test_a_token_with_the_admin_scope_is_not_enough(self, services, http_server_client, jp_base_url):
        _, secret = services.tokens.create("carol", "ops", ["microscopy"], scopes=["read", "jobs", "admin"])
        missing = await fetch_as(http_server_client, jp_base_url, secret, "GET", "nonesuch")
        for method, path in ADMIN_PATHS:
            response = await fetch_as(http_server_client, jp_base_url, secret, method, path)
            assert response.code == 404 and json.loads(response.body) == json.loads(missing.body), path
        assert (await fetch_as(http_server_client, jp_base_url, secret, "GET", "jobs")).code == 200


async def test_tokens_need_the_admin_scope_and_an_admin_group(jp_serverapp, services, http_server_client,
                                                              jp_base_url):
    job = job_for(services, "bob")
    tokens = services.tokens
    _, no_scope = tokens.create("root", "reader", ["staff"], scopes=["read", "jobs"])
    _, old_style = tokens.create("root", "everything", ["staff"])
    _, admin = tokens.create("root", "ops", ["staff"], scopes=["admin"])
    missing = await fetch_as(http_server_client, jp_base_url, no_scope, "GET", "nonesuch")
    for method, path in ADMIN_PATHS:
        response = await fetch_as(http_server_client, jp_base_url, no_scope, method, path)
        assert response.code == 404 and json.loads(response.body) == json.loads(missing.body), path
    assert (await fetch_as(http_server_client, jp_base_url, old_style, "GET", "admin/jobs")).code == 200, \
        "a token made with every scope named has the admin scope too"
    response = await fetch_as(http_server_client, jp_base_url, admin, "GET", "admin/jobs")
    assert response.code == 200 and job.id in {j["id"] for j in json.loads(response.body)["jobs"]}
    response = await fetch_as(http_server_client, jp_base_url, admin, "POST", f"admin/jobs/{job.id}/pause")
    assert response.code == 200 and json.loads(response.body)["phase"] == "SUSPENDED"
    with services.jobs.reading() as session:
        assert session.get(Job, job.id).paused_by == "root"
