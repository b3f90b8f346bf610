"""A batch of cutouts that asked for it sends its e-mail when it ends, to a real local SMTP server
(aiosmtpd), with a link to the job — like every kind of job."""

from __future__ import annotations

import pytest
from _api import call
from _cutouts import indexed_sky, sky_dir, sky_index_in_place  # noqa: F401 - fixtures
from _cutouts_batch import NOWHERE, batch_config, completed, mosaic_positions, out_dir, server  # noqa: F401
from _smtp import inbox, plain_smtp, subject, wait_for_mail  # noqa: F401 - fixtures

PUBLIC = "https://hub.example.org/user/root/"


@pytest.fixture
def jp_server_config(repositories, sky_dir, out_dir, plain_smtp, sky_index_in_place):
    return batch_config(repositories, sky_dir, out_dir, owner="root", smtp_host="127.0.0.1",
                        smtp_port=plain_smtp.port, smtp_security="none", smtp_sender="cutouts@example.org",
                        mail_interval=0.2, public_url=PUBLIC)


async def test_a_finished_batch_is_mailed_with_its_links(jp_fetch, server, sky_dir, inbox):
    code, me = await call(jp_fetch, "PUT", "me", "email", body={"address": "root@example.org"})
    assert code == 200, me
    positions = mosaic_positions(sky_dir, 20) + [{"id": i, "ra": ra, "dec": dec} for i, ra, dec in NOWHERE[:1]]
    body = {"defaults": {"survey": "demo_mosaic", "size": "16pix", "bands": "g"}, "positions": positions,
            "output": {"repository": "out", "path": "mailed"}, "notify": "email"}
    code, job = await call(jp_fetch, "POST", "cutouts", "jobs", body=body)
    assert code == 201 and job["notify"] == "email", job
    await completed(jp_fetch, job["id"])
    await wait_for_mail(inbox, 1)
    [message] = inbox.messages
    assert inbox.recipients == [["root@example.org"]] and message["From"] == "cutouts@example.org"
    assert "cutouts" in subject(message).lower() and "completed" in subject(message), subject(message)
    text = message.get_content()
    assert job["id"] in text and f"{PUBLIC}remotem/api/jobs/{job['id']}" in text
