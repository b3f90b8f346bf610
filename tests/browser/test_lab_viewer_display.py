"""The viewer's display in a real JupyterLab, as a microscopist reads it:

- limits the user typed hold for the image they were typed on; the next frame brings its own
  range, unless the limits are pinned (the pin shows it);
- FFT images come in log scale with a colour map for spectra, without the overlays of the real
  image, with axes in reciprocal units;
- every image has calibrated axis ticks and a colour bar of its limits; the centre-of-mass field
  has a colour-wheel legend;
- after switching to the dark theme (JupyterLab's ``apputils:change-theme``) both images are
  drawn at once, and the README's dark-theme picture is taken.
"""

from __future__ import annotations

import pytest
from _lab import ARTIFACTS, keep_screenshot
from _viewer import canvas_of, frame_point, open_scan_from_tree, wait_settled

pytestmark = pytest.mark.browser

# True once the canvas has at least one pixel that is not fully transparent.
CANVAS_DRAWN = """selector => {
  const canvas = document.querySelector(selector);
  if (!canvas || canvas.width === 0 || canvas.height === 0) {
    return false;
  }
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) {
    if (pixels[i] !== 0) {
      return true;
    }
  }
  return false;
}"""


# What a canvas and its area say about themselves, for a failure's message.
CANVAS_STATE = """selector => {
  const canvas = document.querySelector(selector);
  if (!canvas) {
    return 'no canvas';
  }
  const area = canvas.parentElement;
  return `picture ${canvas.dataset.picture}, canvas ${canvas.width}x${canvas.height}, ` +
    `area ${area.clientWidth}x${area.clientHeight}, theme ${document.body.dataset.jpThemeName}`;
}"""


def _wait_drawn(page, canvas: str) -> None:
    from playwright.sync_api import TimeoutError

    try:
        page.wait_for_function(CANVAS_DRAWN, arg=canvas, timeout=15_000)
    except TimeoutError:
        raise AssertionError(f"{canvas} stayed blank: {page.evaluate(CANVAS_STATE, canvas)}") from None


def _section(viewer: str, name: str) -> str:
    return f"{viewer} .jp-remotem-viewer-{name}"


def _colour_bar_limits(page, section: str) -> tuple[float, float]:
    bar = page.locator(f'{section} [data-testid="colour-bar"]')
    return float(bar.get_attribute("data-vmin")), float(bar.get_attribute("data-vmax"))


def _type_limit(page, section: str, which: str, value: float) -> None:
    field = page.locator(f'{section} [data-testid="histogram-{which}-input"]')
    field.fill(f"{value:g}")
    field.press("Enter")


def _pick(page, viewer: str, fx: float, fy: float) -> None:
    """Click the navigation image at a fraction of its canvas (a new frame)."""
    box = page.locator(canvas_of(viewer, "nav")).bounding_box()
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


def test_typed_limits_hold_for_one_frame_unless_pinned(page, lab_server) -> None:
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    frame = _section(viewer, "frame")
    own_min, own_max = _colour_bar_limits(page, frame)
    assert own_max > own_min > 0, (own_min, own_max)
    pin = page.locator(f'{frame} [data-testid="pin-limits"]')
    expect(pin).to_have_attribute("aria-pressed", "false")

    # Limits typed for this frame: the colour bar says them.
    mine = own_max / 4
    _type_limit(page, frame, "vmax", mine)
    bar = page.locator(f'{frame} [data-testid="colour-bar"]')
    expect(bar).to_have_attribute("data-vmax", f"{mine:g}")

    # Another frame: its own range again (the typed limit would saturate it).
    caption = page.locator(f"{viewer} .jp-remotem-viewer-caption")
    before = caption.inner_text()
    _pick(page, viewer, 0.2, 0.3)
    expect(caption).not_to_have_text(before)
    wait_settled(page, viewer)
    expect(bar).not_to_have_attribute("data-vmax", f"{mine:g}")
    assert _colour_bar_limits(page, frame)[1] > mine

    # Pinned: the pin shows it, and typed limits survive the next frames.
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f'{frame} [data-testid="histogram"]')).to_have_attribute("data-pinned", "true")
    _type_limit(page, frame, "vmax", mine)
    expect(bar).to_have_attribute("data-vmax", f"{mine:g}")
    for fx, fy in ((0.7, 0.6), (0.4, 0.8)):
        before = caption.inner_text()
        _pick(page, viewer, fx, fy)
        expect(caption).not_to_have_text(before)
        wait_settled(page, viewer)
        expect(bar).to_have_attribute("data-vmax", f"{mine:g}")

    # Unpinned: the limits follow the frame shown.
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "false")
    expect(bar).not_to_have_attribute("data-vmax", f"{mine:g}")


def test_fft_images_default_to_log_spectra_without_overlays_in_reciprocal_units(page, lab_server) -> None:
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    nav = _section(viewer, "nav")
    frame = _section(viewer, "frame")
    nav_view = page.locator(f'{nav} [data-testid="image-view"]')
    frame_view = page.locator(f'{frame} [data-testid="image-view"]')
    expect(nav_view).to_have_attribute("data-units", "nm")
    expect(frame_view).to_have_attribute("data-units", "mrad")
    # The bright-field disk is drawn on the frame.
    expect(frame_view).to_have_attribute("data-overlays", "1")

    page.locator(f"{viewer} .jp-remotem-viewer-nav-fft").check()
    page.locator(f"{viewer} .jp-remotem-viewer-frame-fft").check()
    wait_settled(page, viewer)
    for section in (nav, frame):
        expect(page.locator(f'{section} [data-testid="scale-select"]')).to_have_value("log")
        expect(page.locator(f'{section} [data-testid="colormap-select"]')).not_to_have_value("gray")
        expect(page.locator(f'{section} [data-testid="colour-bar"]')).to_have_attribute("data-mode", "log")
    expect(nav_view).to_have_attribute("data-units", "1/nm")
    expect(frame_view).to_have_attribute("data-units", "1/mrad")
    expect(frame_view).to_have_attribute("data-overlays", "0")
    expect(nav_view).to_have_attribute("data-overlays", "0")
    ticks = page.locator(f'{frame} [data-testid="axis-x"] [data-testid="axis-tick"]')
    expect(ticks.first).to_be_visible()
    page.locator(f"{viewer} .jp-remotem-viewer-frame").screenshot(path=str(ARTIFACTS / "viewer-fft.png"))
    keep_screenshot("viewer-fft.png")

    # A line profile across the |FFT|: its distance is in reciprocal units, never the frame's mrad.
    page.locator(f'{viewer} .jp-remotem-viewer-tool[data-tool="line"]').click()
    canvas = canvas_of(viewer, "frame")
    x0, y0 = frame_point(page, canvas, 8, 32)
    x1, y1 = frame_point(page, canvas, 56, 32)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()
    profile = page.locator(f'{viewer} [data-testid="profile-plot"]')
    expect(profile.locator(".jp-RemotemViewer-profileEmpty")).to_have_count(0)
    # 48 pixels of an FFT of 64 pixels of 0.25 mrad: 48 / (64 × 0.25) = 3 1/mrad.
    expect(profile).to_contain_text("3 1/mrad")
    page.locator(f'{viewer} .jp-remotem-viewer-tool[data-tool="pick"]').click()

    # Back in real space: the displays and the overlays come back.
    page.locator(f"{viewer} .jp-remotem-viewer-nav-fft").uncheck()
    page.locator(f"{viewer} .jp-remotem-viewer-frame-fft").uncheck()
    wait_settled(page, viewer)
    expect(page.locator(f'{nav} [data-testid="colormap-select"]')).to_have_value("gray")
    expect(page.locator(f'{nav} [data-testid="scale-select"]')).to_have_value("linear")
    expect(frame_view).to_have_attribute("data-overlays", "1")
    expect(frame_view).to_have_attribute("data-units", "mrad")


def test_every_image_has_ticks_a_colour_bar_and_the_com_field_a_wheel(page, lab_server) -> None:
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    for name in ("nav", "frame"):
        section = _section(viewer, name)
        for axis in ("x", "y"):
            ticks = page.locator(f'{section} [data-testid="axis-{axis}"] [data-testid="axis-tick"]')
            expect(ticks.first).to_be_visible()
            assert ticks.count() >= 2, (name, axis, ticks.all_inner_texts())
            values = [float(text) for text in ticks.all_inner_texts()]
            steps = {round(b - a, 9) for a, b in zip(values, values[1:])}
            # Round numbers, evenly spaced.
            assert len(steps) == 1, (name, axis, values)
        bar = page.locator(f'{section} [data-testid="colour-bar"]')
        expect(bar).to_be_visible()
        expect(bar.locator('[data-testid="colour-bar-tick"]').first).to_be_visible()
        vmin, vmax = _colour_bar_limits(page, section)
        labels = [float(text) for text in bar.locator('[data-testid="colour-bar-tick"]').all_inner_texts()]
        assert labels and all(vmin <= v <= vmax for v in labels), (labels, vmin, vmax)

    # Every display control is reachable by keyboard and says what it is.
    panels = page.locator(f"{viewer} .jp-remotem-viewer-display")
    expect(panels).to_have_count(2)
    unnamed = panels.evaluate_all("""panels => {
      const controls = panels.flatMap(p => Array.from(p.querySelectorAll('button, select, input, [tabindex]')));
      return controls
        .filter(c => !c.disabled)
        .filter(c => c.tabIndex < 0 || !(c.getAttribute('aria-label') || c.labels?.length
                                          || c.textContent.trim()))
        .map(c => c.outerHTML.slice(0, 120));
    }""")
    assert unnamed == [], unnamed
    pin = page.locator(f'{viewer} .jp-remotem-viewer-frame [data-testid="pin-limits"]')
    pin.focus()
    page.keyboard.press("Enter")
    expect(pin).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    expect(pin).to_have_attribute("aria-pressed", "false")

    # The centre-of-mass field: a colour wheel says which hue is which direction.
    page.locator(f'{viewer} .jp-remotem-viewer-mode[data-mode="com"]').click()
    page.locator(f"{viewer} .jp-remotem-viewer-com-field").select_option("field")
    wait_settled(page, viewer)
    wheel = page.locator(f'{viewer} .jp-remotem-viewer-nav [data-testid="com-wheel"]')
    expect(wheel).to_be_visible()
    expect(wheel).to_have_attribute("aria-label", "Colour wheel: the direction of the shift is the hue "
                                    "(right red, down yellow-green, left cyan, up blue-violet), its length "
                                    "the brightness")
    page.wait_for_function(CANVAS_DRAWN, arg=f'{viewer} .jp-remotem-viewer-nav [data-testid="com-wheel-canvas"]')
    expect(page.locator(f'{viewer} .jp-remotem-viewer-nav [data-testid="colour-bar"]')).to_have_count(0)


# The WCAG contrast ratio of an element's text on its own background (text alpha composited),
# colours normalised by drawing them on a canvas (computed styles may say color(srgb ...)).
CONTRAST = """element => {
  const context = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const rgba = css => {
    context.clearRect(0, 0, 1, 1);
    context.fillStyle = css;
    context.fillRect(0, 0, 1, 1);
    return Array.from(context.getImageData(0, 0, 1, 1).data);
  };
  const style = getComputedStyle(element);
  const back = rgba(style.backgroundColor);
  const text = rgba(style.color);
  const a = text[3] / 255;
  const mixed = [0, 1, 2].map(i => text[i] * a + back[i] * (1 - a));
  const luminance = rgb => {
    const [r, g, b] = rgb.map(v => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [l1, l2] = [luminance(mixed), luminance(back.slice(0, 3))].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}"""


def _assert_readable(page, viewer: str, theme: str) -> None:
    """Active buttons and the pressed pin read at WCAG AA (4.5:1) in this theme."""
    for selector in (f"{viewer} .jp-remotem-viewer-mode.jp-mod-active",
                     f'{viewer} .jp-remotem-viewer-frame [data-testid="pin-limits"]'):
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, (theme, selector, ratio)


def _change_theme(page, theme: str) -> None:
    """Run JupyterLab's ``apputils:change-theme`` from the command palette."""
    palette = page.locator("#modal-command-palette")
    page.keyboard.press("Control+Shift+C")
    palette.locator("input").fill(f"Use Theme: {theme}")
    palette.locator('[data-command="apputils:change-theme"]').first.click()
    page.wait_for_function("name => document.body.dataset.jpThemeName === name", arg=theme, timeout=30_000)


def test_both_images_are_drawn_after_switching_to_the_dark_theme_and_back(page, lab_server) -> None:
    from playwright.sync_api import expect

    viewer = open_scan_from_tree(page, lab_server)
    canvases = [canvas_of(viewer, "nav"), canvas_of(viewer, "frame")]
    for canvas in canvases:
        page.wait_for_function(CANVAS_DRAWN, arg=canvas)
    pin = page.locator(f'{viewer} .jp-remotem-viewer-frame [data-testid="pin-limits"]')
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")
    _assert_readable(page, viewer, "light")
    try:
        _change_theme(page, "JupyterLab Dark")
        for canvas in canvases:
            _wait_drawn(page, canvas)
        expect(page.locator(f"{viewer} .jp-remotem-error")).to_have_count(0)
        # The axes take the theme's text colour: light on the dark background.
        colour = page.locator(f'{viewer} .jp-remotem-viewer-nav [data-testid="axis-x"]').evaluate(
            "node => getComputedStyle(node).color")
        assert colour.startswith("rgba(255, 255, 255"), colour
        _assert_readable(page, viewer, "dark")
        page.locator(f"{viewer} .jp-remotem-viewer").screenshot(path=str(ARTIFACTS / "viewer-dark.png"))
        keep_screenshot("viewer-dark.png")
    finally:
        # The theme is a user setting of the shared server: the light theme again for the other tests.
        _change_theme(page, "JupyterLab Light")
    for canvas in canvases:
        _wait_drawn(page, canvas)
