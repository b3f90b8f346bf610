"""The quota under the Jobs header, a copy the quota refuses before it is submitted, and
personal API tokens made, used from Python and revoked, in a real JupyterLab.

The browser fixture's server gives its owner a storage quota (conftest.STORAGE_QUOTA_BYTES)
that one copy of a demo scan fits and two do not.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

import pytest
from _lab import ARTIFACTS, SIDEBAR, api, keep_screenshot, open_sidebar, run_from_palette
from conftest import COMPUTE_QUOTA_HOURS, GROUP, POOL_HOURS, STORAGE_QUOTA_BYTES

pytestmark = pytest.mark.browser

JOBS = '[id="jupyter-remotem:jobs"]'
MiB = 1024 * 1024


def test_quota_line_and_a_copy_that_would_not_fit(page, lab_server) -> None:
    from playwright.sync_api import expect

    # The server is shared with other test files run in the same process: their finished jobs'
    # results go first (with their files), so that the quota starts empty here.
    for job in api(lab_server, "GET", "jobs").json()["jobs"]:
        if job["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
            api(lab_server, "DELETE", f"jobs/{job['id']}")
    # One copy of the scan, kept: a second one no longer fits the quota.
    target = f"quota/scan-{uuid.uuid4().hex[:8]}.h5"
    answer = api(lab_server, "POST", "jobs", json={
        "operation": "copy",
        "source": {"repository": "demo", "path": "scan.h5"},
        "target": {"repository": "demo", "path": target},
    })
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["id"]
    try:
        sidebar = open_sidebar(page, lab_server)
        row = page.locator(f'{SIDEBAR} .jp-remotem-job[data-job-id="{job_id}"]')
        expect(row).to_have_attribute("data-phase", "COMPLETED", timeout=60_000)

        # The line under the Jobs header, with the server's numbers (refreshed when the copy ended).
        quota = api(lab_server, "GET", "quota").json()
        assert quota["limits"]["storage_bytes"] == STORAGE_QUOTA_BYTES
        taken = quota["usage"]["storage_bytes"] + quota["usage"]["reserved_bytes"]
        assert taken >= 12 * MiB, quota
        storage = sidebar.locator(f'{JOBS} .jp-remotem-quota-item[data-resource="storage"]:not([data-pool])')
        expect(storage.locator(".jp-remotem-quota-text")).to_have_text(
            re.compile(rf"^Storage \d+\.\d of {STORAGE_QUOTA_BYTES / MiB:.1f} MiB$")
        )
        meter = storage.get_by_role("meter")
        expect(meter).to_have_attribute("aria-valuenow", str(round(taken / STORAGE_QUOTA_BYTES * 100)))
        expect(storage).not_to_have_class(re.compile("jp-mod-warn"))  # about 63 %
        compute = sidebar.locator(f'{JOBS} .jp-remotem-quota-item[data-resource="compute"]:not([data-pool])')
        expect(compute.locator(".jp-remotem-quota-text")).to_have_text(
            re.compile(rf"^Compute [\d.<]+ of {COMPUTE_QUOTA_HOURS} h \(30 days\)$")
        )
        expect(compute.get_by_role("meter")).to_have_attribute("aria-valuenow", "0")
        # The group's shared pool follows the user's own quota.
        pool = sidebar.locator(f'{JOBS} .jp-remotem-quota-item[data-pool="{GROUP}"][data-resource="compute"]')
        expect(pool.locator(".jp-remotem-quota-text")).to_have_text(
            re.compile(rf"^{GROUP} \(shared\): Compute [\d.<]+ of {POOL_HOURS} h \(30 days\)$")
        )
        sidebar.locator(JOBS).screenshot(path=str(ARTIFACTS / "jobs-quota.png"))
        keep_screenshot("jobs-quota.png")

        # A second copy of the scan: told before submitting, and the Copy button waits.
        sidebar.locator('.jp-remotem-repo[data-repo="demo"] .jp-remotem-repo-header').click()
        sidebar.locator('.jp-remotem-tree-item[data-path="scan.h5"]').click(button="right")
        page.locator('.lm-Menu-item[data-command="remotem:copy-to"]').click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator(".jp-remotem-copy-repository").select_option("demo")
        dialog.locator(".jp-remotem-copy-path").fill(f"quota/second-{uuid.uuid4().hex[:8]}.h5")
        refusal = dialog.locator('.jp-remotem-error[data-code="quota_exceeded"]')
        expect(refusal.locator(".jp-remotem-error-message")).to_contain_text("your storage quota is 19.1 MiB")
        accept = dialog.locator(".jp-Dialog-footer .jp-mod-accept")
        expect(accept).to_be_disabled()
        reason = refusal.locator(".jp-remotem-error-message").inner_text()
        expect(accept).to_have_attribute("title", reason)
        dialog.locator(".jp-Dialog-content").screenshot(path=str(ARTIFACTS / "copy-over-quota.png"))
        keep_screenshot("copy-over-quota.png")

        # Submitted anyway (Enter accepts a dialog whatever its button): the reopened dialog
        # says why once, in the server's words (its hint names the API), not twice.
        dialog.locator(".jp-remotem-copy-path").press("Enter")
        refusals = page.locator('.jp-Dialog .jp-remotem-copy-form > .jp-remotem-error[data-code="quota_exceeded"]')
        expect(refusals.filter(has_text="DELETE remotem/api/jobs")).to_have_count(1, timeout=30_000)
        expect(page.locator(".jp-Dialog .jp-remotem-copy-quote")).not_to_be_empty()  # the dry run has answered
        expect(refusals).to_have_count(1)
        # Once the form changes, the server's answer is about another job: the dry run speaks.
        dialog.locator(".jp-remotem-copy-path").fill(f"quota/third-{uuid.uuid4().hex[:8]}.h5")
        expect(refusals.filter(has_text="DELETE remotem/api/jobs")).to_have_count(0)
        expect(refusals).to_have_count(1)
        expect(refusals.locator(".jp-remotem-error-message")).to_contain_text("your storage quota is 19.1 MiB")
        page.locator(".jp-Dialog .jp-mod-reject").click()
        expect(dialog).to_have_count(0)
    finally:
        api(lab_server, "DELETE", f"jobs/{job_id}")
    # Deleting the kept copy frees its share of the quota.
    quota = api(lab_server, "GET", "quota").json()
    assert quota["usage"]["storage_bytes"] < 12 * MiB, quota
    assert page.errors == []


def test_personal_token_made_used_from_python_and_revoked(page, lab_server) -> None:
    from playwright.sync_api import expect

    assert api(lab_server, "GET", "tokens").json()["tokens"] == []
    try:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        sidebar = open_sidebar(page, lab_server)
        sidebar.locator(".jp-remotem-tokens-button").click()
        dialog = page.locator(".jp-Dialog")
        expect(dialog.locator(".jp-remotem-tokens-empty")).to_be_visible()
        expect(dialog.locator(".jp-remotem-token-expiry")).to_have_value("30")
        expect(dialog.locator(".jp-remotem-token-create")).to_be_disabled()  # no name yet

        # Enter in the name field makes the token (and leaves the dialog open).
        name = dialog.locator(".jp-remotem-token-name-input")
        name.fill("browser test")
        with page.expect_response(
            lambda r: r.request.method == "POST" and urlparse(r.url).path.endswith("/remotem/api/tokens")
        ) as made:
            name.press("Enter")
        assert made.value.status == 201
        secret_field = dialog.locator(".jp-remotem-token-secret")
        expect(secret_field).to_have_value(re.compile(r"^rmt_[\w-]{20,}$"))
        secret = secret_field.input_value()
        expect(dialog.locator(".jp-remotem-token-once")).to_contain_text("will not be shown again")
        expect(dialog.locator(".jp-remotem-token-usage")).to_contain_text("Authorization: token rmt_")
        row = dialog.locator(".jp-remotem-token", has_text="browser test")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("in 30 days")
        expect(row.locator("td").nth(3)).to_have_text("never")
        assert secret not in dialog.locator(".jp-remotem-tokens-list").inner_text()

        dialog.locator(".jp-remotem-token-copy").click()
        expect(dialog.locator(".jp-remotem-token-copied")).to_have_text("Copied to the clipboard.")
        assert page.evaluate("navigator.clipboard.readText()") == secret

        # The secret opens the API from a script.
        assert api(lab_server, "GET", "repositories", token=secret).status_code == 200

        # Revoking asks first; "Keep" keeps it.
        row.locator(".jp-remotem-token-revoke").click()
        expect(row).to_contain_text("Revoke “browser test”?")
        row.locator(".jp-remotem-token-keep").click()
        expect(row.locator(".jp-remotem-token-revoke")).to_be_visible()
        assert api(lab_server, "GET", "repositories", token=secret).status_code == 200
        row.locator(".jp-remotem-token-revoke").click()
        with page.expect_response(lambda r: r.request.method == "DELETE" and "/remotem/api/tokens/" in r.url) as gone:
            row.locator(".jp-remotem-token-revoke-confirm").click()
        assert gone.value.status == 204
        expect(dialog.locator(".jp-remotem-tokens-empty")).to_be_visible()
        expect(secret_field).to_have_count(0)  # the revoked token's secret went with it
        assert api(lab_server, "GET", "repositories", token=secret).status_code == 401
        assert api(lab_server, "GET", "tokens").json()["tokens"] == []

        # Closing forgets everything; the palette command opens it again, from the server's list.
        dialog.locator(".jp-Dialog-footer .jp-mod-accept").click()
        expect(dialog).to_have_count(0)
        run_from_palette(page, "Personal API Tokens", "remotem:manage-tokens")
        expect(dialog.locator(".jp-remotem-tokens-empty")).to_be_visible()
        expect(dialog.locator(".jp-remotem-token-secret")).to_have_count(0)
        dialog.locator(".jp-Dialog-footer .jp-mod-accept").click()
        assert page.errors == []
    finally:  # leave no token behind for other tests, whatever happened
        for token in api(lab_server, "GET", "tokens").json()["tokens"]:
            api(lab_server, "DELETE", f"tokens/{token['id']}")


def test_a_token_with_chosen_scopes_and_places(page, lab_server) -> None:
    """The dialog offers the server's scopes (all ticked) and an "Only in" field; the token made
    from them does only that, only there."""
    from playwright.sync_api import expect

    try:
        sidebar = open_sidebar(page, lab_server)
        sidebar.locator(".jp-remotem-tokens-button").click()
        dialog = page.locator(".jp-Dialog")
        choice = dialog.locator(".jp-remotem-token-scope-choice")
        offered = [scope["name"] for scope in api(lab_server, "GET", "tokens/scopes").json()["scopes"]]
        expect(choice.locator("input[type=checkbox]")).to_have_count(len(offered))
        for name in offered:
            expect(choice.locator(f'[data-scope="{name}"]')).to_be_checked()
        for name in offered[1:]:
            choice.locator(f'[data-scope="{name}"]').uncheck()
        dialog.locator(".jp-remotem-token-name-input").fill("reader of one scan")
        places = dialog.locator(".jp-remotem-token-reach-input")
        create = dialog.locator(".jp-remotem-token-create")
        places.fill("demo:scan.h5\nnot a place:x")
        expect(create).to_be_disabled()
        expect(create).to_have_attribute("title", re.compile("Line 2"))
        places.fill("demo:scan.h5")
        with page.expect_response(
            lambda r: r.request.method == "POST" and urlparse(r.url).path.endswith("/remotem/api/tokens")
        ) as made:
            create.click()
        assert made.value.status == 201
        sent = made.value.request.post_data_json
        assert sent["scopes"] == offered[:1] and sent["reach"] == [{"repository": "demo", "path": "scan.h5"}]
        secret = dialog.locator(".jp-remotem-token-secret").input_value()
        row = dialog.locator(".jp-remotem-token", has_text="reader of one scan")
        expect(row.locator(".jp-remotem-token-scopes")).to_have_text(offered[0])
        expect(row.locator(".jp-remotem-token-reach")).to_have_text("demo:scan.h5")
        dialog.locator(".jp-Dialog-content").screenshot(path=str(ARTIFACTS / "token-scopes.png"))
        keep_screenshot("token-scopes.png")
        assert api(lab_server, "GET", "repositories/demo/meta/scan.h5", token=secret).status_code == 200
        outside = api(lab_server, "GET", "repositories/demo/tree", token=secret)
        assert outside.status_code == 403 and outside.json()["error"]["code"] == "outside_token_reach"
        unscoped = api(lab_server, "PUT", "repositories/demo/tree/new-folder", token=secret, json={"type": "directory"})
        assert unscoped.status_code == 403 and unscoped.json()["error"]["details"]["missing_scope"] == "write"
        dialog.locator(".jp-Dialog-footer .jp-mod-accept").click()
        assert page.errors == []
    finally:
        for token in api(lab_server, "GET", "tokens").json()["tokens"]:
            api(lab_server, "DELETE", f"tokens/{token['id']}")
