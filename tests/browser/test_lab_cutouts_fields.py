"""The Sky cutouts panel's resample fields and planes in a real JupyterLab over the demo
surveys (conftest: ``surveys``): choosing ``resample`` shows pixscale, rotation and the
declared interpolations; the preview request carries what was typed, and its picture's size
follows the pixel scale; back to ``native`` nothing of it is sent.  For FITS, the survey's
planes are checkboxes whose names the download carries (and the FITS holds); a picture has none.

A survey whose index is being built ("Indexing the survey's tiles…", then the preview once it
is ready) is not shown here: this lab's worker indexes the demo surveys at start-up, so none
stays unindexed long enough to look at; the decisions are the model's (jest, cutouts.spec.ts)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import pytest
from _lab import ARTIFACTS, CUTOUTS_PANEL, api, keep_screenshot, open_cutouts_panel, wait_for_survey_indexes, widen_left_area

pytestmark = pytest.mark.browser

PANEL = CUTOUTS_PANEL
#: The demo mosaic's declared pixel scale (arcsec/px; cutouts/demo.py).
MOSAIC_PIXSCALE = 0.5
#: The side asked for: 20 arcsec, 40 px of the survey, 20 px at 1″/px.
SIDE_ARCSEC = 20


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def _preview(predicate):
    """A preview answer (`cutouts/sync` as PNG) whose query satisfies ``predicate``."""
    def matches(response) -> bool:
        if "/remotem/api/cutouts/sync" not in response.url:
            return False
        query = _query(response.url)
        return query.get("format") == "png" and predicate(query)

    return matches


def _shown(panel) -> str:
    """The preview picture's address now ('' when none is shown)."""
    image = panel.locator("img.jp-remotem-cutouts-image")
    return image.get_attribute("src") if image.count() else ""


def _wait_for_width(page, panel, width: int, before: str) -> None:
    """A new preview picture (not ``before``) shown, ``width`` pixels wide: the answer is drawn
    after it arrives."""
    image = panel.locator("img.jp-remotem-cutouts-image")
    image.wait_for(state="visible")
    try:
        page.wait_for_function(
            "([img, width, before]) => img.src !== before && img.complete && img.naturalWidth === width",
            arg=[image.element_handle(), width, before], timeout=30_000)
    except Exception as error:
        raise AssertionError(f"preview {image.evaluate('img => img.naturalWidth')} px wide, not {width}") from error


def test_cutouts_panel_resample_fields_and_planes(page, lab_server) -> None:
    from playwright.sync_api import expect

    wait_for_survey_indexes(lab_server)
    declared = {p["name"]: p for p in api(lab_server, "GET", "cutouts/parameters").json()["parameters"]}
    surveys = {s["name"]: s for s in api(lab_server, "GET", "cutouts/surveys").json()["surveys"]}
    assert surveys["demo_mosaic"]["pixscale"] == MOSAIC_PIXSCALE

    panel = open_cutouts_panel(page, lab_server)

    # Native: no resample fields, the tiles' own pixels (20″ at 0.5″/px).
    panel.locator("img.jp-remotem-cutouts-image").wait_for(state="visible", timeout=60_000)
    before = _shown(panel)
    with page.expect_response(_preview(lambda q: q.get("size") == f"{SIDE_ARCSEC}arcsec"), timeout=60_000) as answer:
        panel.locator('select[name="unit"]').select_option("arcsec")
        panel.locator('input[name="size"]').fill(str(SIDE_ARCSEC))
    assert answer.value.status == 200, answer.value.text()
    assert "algorithm" not in _query(answer.value.url)
    expect(panel.locator('input[name="pixscale"]')).to_have_count(0)
    expect(panel.locator('select[name="interpolation"]')).to_have_count(0)
    _wait_for_width(page, panel, round(SIDE_ARCSEC / MOSAIC_PIXSCALE), before)

    # Resample at the survey's own scale (the placeholder says which): the same size.
    before = _shown(panel)
    with page.expect_response(_preview(lambda q: q.get("algorithm") == "resample"), timeout=60_000) as answer:
        panel.locator('select[name="algorithm"]').select_option("resample")
    assert answer.value.status == 200, answer.value.text()
    assert not {"pixscale", "rotation", "interpolation"} & set(_query(answer.value.url))  # none set yet
    pixscale = panel.locator('input[name="pixscale"]')
    expect(pixscale).to_have_attribute("placeholder", f"{MOSAIC_PIXSCALE:g}")
    options = panel.locator('select[name="interpolation"] option')
    assert options.all_inner_texts() == declared["interpolation"]["choices"]
    expect(panel.locator('select[name="interpolation"]')).to_have_value(declared["interpolation"]["default"])
    _wait_for_width(page, panel, round(SIDE_ARCSEC / MOSAIC_PIXSCALE), before)

    # Twice the survey's scale, rotated: the request carries both, the picture is half as wide.
    before = _shown(panel)
    with page.expect_response(_preview(lambda q: q.get("pixscale") == "1" and q.get("rotation") == "30"),
                              timeout=60_000) as answer:
        pixscale.fill("1")
        panel.locator('input[name="rotation"]').fill("30")
    response = answer.value
    assert response.status == 200, response.text()
    query = _query(response.url)
    assert query["algorithm"] == "resample" and query["survey"] == "demo_mosaic"
    assert "interpolation" not in query  # the declared default is not sent
    expect(panel.locator(".jp-remotem-cutouts-error")).to_have_count(0)
    _wait_for_width(page, panel, SIDE_ARCSEC, before)

    # Another interpolation: sent, as the server declares it.
    other = next(c for c in declared["interpolation"]["choices"] if c != declared["interpolation"]["default"])
    with page.expect_response(_preview(lambda q: q.get("interpolation") == other), timeout=60_000) as answer:
        panel.locator('select[name="interpolation"]').select_option(other)
    assert answer.value.status == 200, answer.value.text()
    assert _query(answer.value.url)["pixscale"] == "1"

    fits_link = panel.locator("a.jp-remotem-cutouts-fits")
    download = _query(fits_link.get_attribute("href"))
    assert (download["algorithm"], download["pixscale"], download["rotation"]) == ("resample", "1", "30")

    widen_left_area(page, 160)
    panel.screenshot(path=str(ARTIFACTS / "cutouts-panel-resample.png"))
    keep_screenshot("cutouts-panel-resample.png")

    # Planes: for FITS (the format the form starts at), the survey's, as the server declares them.
    assert "planes" in declared
    planes = surveys["demo_mosaic"]["planes"]
    assert planes == ["weight", "mask"], planes
    boxes = panel.locator(".jp-remotem-cutouts-planes input[type=checkbox]")
    expect(boxes).to_have_count(len(planes))
    panel.locator('input[name="plane-weight"]').check()
    page.wait_for_function("(link) => new URL(link.href).searchParams.get('planes') === 'weight'",
                           arg=fits_link.element_handle(), timeout=10_000)
    fits = api(lab_server, "GET", "cutouts/sync?" + urlparse(fits_link.get_attribute("href")).query)
    assert fits.status_code == 200, fits.text
    from astropy.io import fits as pyfits

    with pyfits.open(io.BytesIO(fits.content)) as hdus:
        names = [hdu.name for hdu in hdus]
    assert names[1:] == ["G", "G_WEIGHT"], names
    # A picture has no planes: the checkboxes go, and so does the download's parameter.
    panel.locator('select[name="format"]').select_option("png")
    expect(boxes).to_have_count(0)
    page.wait_for_function("(link) => !new URL(link.href).searchParams.has('planes')",
                           arg=fits_link.element_handle(), timeout=10_000)

    # Back to native: the resample fields go, and nothing of them is sent.
    before = _shown(panel)
    with page.expect_response(_preview(lambda q: "algorithm" not in q), timeout=60_000) as answer:
        panel.locator('select[name="algorithm"]').select_option("native")
    assert answer.value.status == 200, answer.value.text()
    assert not {"pixscale", "rotation", "interpolation", "planes"} & set(_query(answer.value.url))
    expect(panel.locator('input[name="pixscale"]')).to_have_count(0)
    _wait_for_width(page, panel, round(SIDE_ARCSEC / MOSAIC_PIXSCALE), before)
    assert not page.errors, page.errors
