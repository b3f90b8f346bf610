"""E-mail when a job ends, received by a real local SMTP server (aiosmtpd): a real worker
completes one job and fails another, each asked with ``"notify": "email"``; the mail says what
ended, how, how long, and links to the results.  The STARTTLS road with a login, and a wrong
password: tried a bounded number of times, and the password is in no log line, answer or record."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
from pathlib import Path

import pytest
from _api import call, server_config, stop_started_worker, wait_until
from _smtp import PASSWORD, inbox, plain_smtp, smtp_server, subject, wait_for_mail  # noqa: F401 - fixtures

from jupyter_remotem.jobs.models import Job, Phase
from jupyter_remotem.jobs.requests import JobRequest
from jupyter_remotem.notify import request as notify_request
from jupyter_remotem.notify.mailer import MAX_ATTEMPTS

PUBLIC = "https://hub.example.org/user/root/"
DISK = {"shape": "disk", "cx": 32, "cy": 32, "r": 9}


@pytest.fixture
def repositories(repositories, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    return repositories + [{"name": "results", "url": str(out), "writable": True}]


def reduction(path="scan.h5", repository="demo", output="bf.h5"):
    return {"repository": repository, "path": path, "operation": "virtual_detector",
            "params": {"detectors": [DISK]}, "output": {"repository": "results", "path": output, "format": "hdf5"},
            "notify": "email"}


class TestMailWhenJobsEnd:
    @pytest.fixture
    def jp_server_config(self, repositories, plain_smtp):
        return server_config(repositories, owner="root", start_worker=True, smtp_host="127.0.0.1",
                             smtp_port=plain_smtp.port, smtp_security="none", smtp_sender="jobs@example.org",
                             mail_interval=0.2, public_url=PUBLIC)

    @pytest.fixture(autouse=True)
    def stop_worker(self, jp_serverapp):
        yield
        stop_started_worker(jp_serverapp)

    async def test_completed_and_failed_jobs_are_mailed_with_links(self, jp_fetch, jp_serverapp, inbox):
        services = jp_serverapp.web_app.settings["remotem"]
        code, me = await call(jp_fetch, "GET", "me", "email")
        assert code == 200 and me == {"address": None, "source": None, "enabled": True}
        code, me = await call(jp_fetch, "PUT", "me", "email", body={"address": "root@example.org"})
        assert code == 200 and me["address"] == "root@example.org" and me["source"] == "set"
        code, job = await call(jp_fetch, "POST", "jobs", body=reduction())
        assert code == 201 and job["notify"] == "email", job
        await wait_for_mail(inbox, 1)
        [message] = inbox.messages
        assert inbox.recipients == [["root@example.org"]]
        assert message["To"] == "root@example.org" and message["From"] == "jobs@example.org"
        assert subject(message) == "Your reduction job completed: virtual_detector of demo:scan.h5"
        body = message.get_content()
        done = (await call(jp_fetch, "GET", "jobs", job["id"]))[1]
        assert done["phase"] == "COMPLETED"
        assert job["id"] in body and "It ran for " in body
        assert f"{PUBLIC}lab/tree/RemoteData:results/bf.h5" in body
        assert f"{PUBLIC}remotem/api/repositories/results/download/bf.h5" in body
        assert f"{PUBLIC}remotem/api/jobs/{job['id']}" in body

        # The file it reads goes missing after the quote (made here straight in the store): its worker fails it.
        notify_request.mark("email")
        try:
            request = JobRequest.from_json({k: v for k, v in reduction(path="gone.h5", output="gone-bf.h5").items()
                                            if k != "notify"})
            failing = services.jobs.create("root", request.kind, request.to_json()).to_json()
        finally:
            notify_request.mark(None)
        services.supervisor.ensure_running()
        await wait_for_mail(inbox, 2)
        failed = (await call(jp_fetch, "GET", "jobs", failing["id"]))[1]
        assert failed["phase"] == "ERROR"
        message = inbox.messages[1]
        assert subject(message) == "Your reduction job failed: virtual_detector of demo:gone.h5"
        assert "What went wrong: " in message.get_content() and failed["error"]["message"][:40] in \
            message.get_content().replace("\n", " ")
        assert len(inbox.messages) == 2, "each notice is sent once"

    async def test_no_notify_no_mail_and_a_bad_notify_is_400(self, jp_fetch, jp_serverapp, inbox):
        await call(jp_fetch, "PUT", "me", "email", body={"address": "root@example.org"})
        body = reduction(output="quiet.h5")
        del body["notify"]
        code, job = await call(jp_fetch, "POST", "jobs", body=body)
        assert code == 201 and job["notify"] is None
        code, bad = await call(jp_fetch, "POST", "jobs", body=dict(reduction(output="x.h5"), notify="sms"))
        assert code == 400 and set(bad["error"]) >= {"code", "message", "hint"} and "notify" in bad["error"]["message"]
        copy = {"operation": "copy", "source": {"repository": "demo", "path": "scan.h5"},
                "target": {"repository": "results", "path": "copied.h5"}, "notify": "email"}
        code, copied = await call(jp_fetch, "POST", "jobs", body=copy)
        assert code == 201 and copied["notify"] == "email", "every kind of job takes it"
        mailer = jp_serverapp.web_app.settings["remotem"].mailer
        await wait_for_mail(inbox, 1)
        done = (await call(jp_fetch, "GET", "jobs", job["id"]))[1]

        async def quiet_finished():
            return (await call(jp_fetch, "GET", "jobs", job["id"]))[1]["phase"] == "COMPLETED"

        await wait_until(quiet_finished, "the job without notify to finish", timeout=120)
        rounds = mailer.rounds

        async def another_round():
            return mailer.rounds > rounds + 1

        await wait_until(another_round, "two more mail rounds")
        assert [subject(m).split(":")[0] for m in inbox.messages] == ["Your copy job completed"], done

    async def test_an_upload_that_asked_in_its_metadata_is_mailed(self, jp_fetch, inbox, tmp_path):
        await call(jp_fetch, "PUT", "me", "email", body={"address": "root@example.org"})
        data = b"uploaded bytes\n" * 100
        meta = ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"
                        for key, value in {"repository": "results", "path": "up/file.bin", "notify": "email"}.items())
        tus = {"Tus-Resumable": "1.0.0"}
        made = await jp_fetch("remotem", "api", "uploads", method="POST", body=b"", raise_error=False,
                              headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": meta})
        assert made.code == 201, made.body
        upload = made.headers["X-Remotem-Job"]
        sent = await jp_fetch("remotem", "api", "uploads", upload, method="PATCH", body=data, raise_error=False,
                              headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
                              allow_nonstandard_methods=True)
        assert sent.code == 204, sent.body
        record = (await call(jp_fetch, "GET", "jobs", upload))[1]
        assert record["notify"] == "email" and record["phase"] == "COMPLETED", record
        await wait_for_mail(inbox, 1)
        assert subject(inbox.messages[0]) == "Your upload job completed: upload of results:up/file.bin"
        assert f"{PUBLIC}remotem/api/jobs/{upload}" in inbox.messages[0].get_content()
        assert (tmp_path / "results" / "up" / "file.bin").read_bytes() == data

    async def test_notify_is_taken_by_every_endpoint_that_makes_a_job(self, jp_fetch):
        """A parser that refuses keys it does not know (here the index's) never sees "notify";
        a request without a body asks with ?notify=email."""
        code, indexed = await call(jp_fetch, "POST", "search", "index", body={"repository": "demo", "notify": "email"})
        assert code == 201 and indexed["notify"] == "email", indexed
        code, by_query = await call(jp_fetch, "POST", "search", "index", body={"repository": "demo"}, notify="email")
        assert code == 201 and by_query["notify"] == "email", by_query
        code, plain = await call(jp_fetch, "POST", "search", "index", body={"repository": "demo"})
        assert code == 201 and plain["notify"] is None, "nothing carried over from an earlier request"
        code, bad = await call(jp_fetch, "POST", "search", "index", body={"repository": "demo"}, notify="pager")
        assert code == 400 and bad["error"]["code"] == "bad_parameter"

    @pytest.mark.parametrize("address", ["nobody", "a@b", "x" * 400 + "@example.org", 42])
    async def test_bad_addresses_are_400(self, jp_fetch, address):
        code, body = await call(jp_fetch, "PUT", "me", "email", body={"address": address})
        assert code == 400 and body["error"]["hint"], body

    async def test_an_address_is_set_once_and_forgotten(self, jp_fetch):
        for body in ({"addr": "a@example.org"}, {"address": "a@example.org", "x": 1}, ["a@example.org"]):
            code, answer = await call(jp_fetch, "PUT", "me", "email", body=body)
            assert code == 400 and answer["error"]["code"] == "bad_parameter", body
        assert (await call(jp_fetch, "PUT", "me", "email", body={"address": "a@example.org"}))[0] == 200
        assert (await call(jp_fetch, "PUT", "me", "email", body={"address": "b@example.org"}))[1]["address"] == \
            "b@example.org", "set again, the new address replaces the old"
        assert (await call(jp_fetch, "DELETE", "me", "email"))[0] == 204
        assert (await call(jp_fetch, "GET", "me", "email"))[1]["address"] is None


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, the mail server's (the client trusts it as its CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_smtp(inbox, certificate):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    controller = smtp_server(inbox, tls_context=context, require_starttls=True, authenticator=inbox.authenticate,
                             auth_require_tls=True)
    yield controller
    controller.stop()


def ended_job(services, owner: str = "root") -> Job:
    """A job that asked for e-mail, ended by the store as a worker ends one."""
    notify_request.mark("email")
    try:
        job = services.jobs.create(owner, "copy", {"operation": "copy", "source": {"repository": "demo", "path": "a"},
                                                   "target": {"repository": "results", "path": "b"}})
    finally:
        notify_request.mark(None)
    services.jobs.claim("mail-test-worker")
    services.jobs.finish(job.id, Phase.COMPLETED, results=[{"repository": "results", "path": "b", "size": 1,
                                                             "format": "copy"}], worker_id="mail-test-worker")
    return job


class TestStartTls:
    @pytest.fixture
    def jp_server_config(self, repositories, tls_smtp, certificate, request):
        password = getattr(request, "param", PASSWORD)
        return server_config(repositories, owner="root", smtp_host="127.0.0.1", smtp_port=tls_smtp.port,
                             smtp_security="starttls", smtp_sender="jobs@example.org", smtp_username="mailer",
                             smtp_password=password, smtp_ca_file=str(certificate[0]), mail_interval=0.1,
                             public_url=PUBLIC)

    async def test_a_notice_goes_through_starttls_with_a_login(self, jp_fetch, jp_serverapp, inbox):
        services = jp_serverapp.web_app.settings["remotem"]
        await call(jp_fetch, "PUT", "me", "email", body={"address": "root@example.org"})
        job = ended_job(services)
        await wait_for_mail(inbox, 1)
        assert inbox.logins == [("mailer", PASSWORD)]
        assert subject(inbox.messages[0]).startswith("Your copy job completed")
        with services.jobs.reading() as session:
            assert session.get(Job, job.id).notified is not None

    @pytest.mark.parametrize("jp_server_config", ["wrong-Pass-99120"], indirect=True)
    async def test_a_refused_login_is_retried_a_bounded_number_of_times_and_never_logs_the_password(
            self, jp_fetch, jp_serverapp, inbox, caplog):
        caplog.set_level(logging.DEBUG)
        services = jp_serverapp.web_app.settings["remotem"]
        await call(jp_fetch, "PUT", "me", "email", body={"address": "root@example.org"})
        job = ended_job(services)

        async def given_up():
            with services.jobs.reading() as session:
                return session.get(Job, job.id).notified is not None

        await wait_until(given_up, "the notice to be given up", timeout=60)
        assert len(inbox.logins) == MAX_ATTEMPTS and inbox.messages == []
        with services.jobs.reading() as session:
            assert session.get(Job, job.id).notify_attempts == MAX_ATTEMPTS
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert f"try {MAX_ATTEMPTS} of {MAX_ATTEMPTS}" in logged
        answers = [await call(jp_fetch, "GET", "jobs", job.id), await call(jp_fetch, "GET", "me", "email")]
        for secret in ("wrong-Pass-99120", PASSWORD):
            assert secret not in logged
            assert all(secret not in json.dumps(answer) for answer in answers)
            assert secret not in repr(services.mailer.settings)
