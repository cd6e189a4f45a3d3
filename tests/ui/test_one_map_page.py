"""The one map as a reader opens it: the page the `one_map` asset wrote for the built tiny city,
opened from its file in headless Chromium (the `chromium` fixture, tests/ui/conftest.py).

It renders (the SVG holds each layer's features and the townships), every layer toggles off
and on from the legend, hovering and clicking a feature shows its attributes, the zoom buttons
zoom, the browser reports no script error and no Content-Security-Policy violation, and the
only request the browser makes is for the page's own file: every other one is recorded and
stopped, so a failing test fetched nothing either.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, Route, expect, sync_playwright

from pipelines.lib.map.page import MAP_FILE

TIMEOUT_MS = 30_000


def test_the_map_renders_every_layer_toggles_and_nothing_is_fetched(
    chromium: str, built_city: Path
) -> None:
    page_file = built_city / "reports" / MAP_FILE
    assert page_file.is_file(), f"the one_map asset wrote no {page_file}"
    html = page_file.read_text(encoding="utf-8")
    data = json.loads(
        re.search(r'id="map-data">(.*?)</script>', html, re.S).group(1)  # type: ignore[union-attr]
    )
    present = [layer for layer in data["layers"] if layer["present"]]
    assert {"events", "warnings", "hazard_sources"} <= {layer["id"] for layer in present}
    url = page_file.as_uri()
    requests: list[str] = []
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.on("request", lambda request: requests.append(request.url))

            def route(route: Route) -> None:
                if route.request.url == url:
                    route.continue_()
                else:
                    route.abort("blockedbyclient")

            context.route("**/*", route)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
            page.on("console", lambda message: record_console(message, problems))
            page.goto(url)
            expect(page.locator("body")).to_have_attribute("data-ready", "true")

            renders(page, data)
            for layer in data["layers"]:
                toggles(page, layer)
            shows_attributes(page, present)
            zooms(page)
        finally:
            browser.close()

    assert problems == []
    assert requests == [url], f"requests besides the page itself: {requests}"


def record_console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error" or "Content Security Policy" in message.text:
        problems.append(f"console {message.type}: {message.text}")


def renders(page: Page, data: dict) -> None:
    """The base and each layer's features are in the SVG, as many as the data holds."""
    expect(page.locator("#townships circle")).to_have_count(len(data["townships"]))
    expect(page.locator("#cells rect")).to_have_count(len(data["cells"]))
    assert len(data["townships"]) > 0
    for layer in data["layers"]:
        features = page.locator(f"#layer-{layer['id']} circle")
        expect(features).to_have_count(len(layer["features"]) if layer["present"] else 0)
    events = next(layer for layer in data["layers"] if layer["id"] == "events")
    assert events["features"], "the built city's map has no events"


def toggles(page: Page, layer: dict) -> None:
    """The legend's box switches the layer off and on; an absent layer's box is disabled."""
    box = page.locator(f"#toggle-{layer['id']}")
    if not layer["present"]:
        expect(box).to_be_disabled()
        expect(page.locator(f'.layer-entry[data-layer="{layer["id"]}"]')).to_contain_text(
            "not built in this warehouse"
        )
        return
    group = page.locator(f"#layer-{layer['id']}")
    expect(box).to_be_checked()
    expect(group).to_have_attribute("data-features", str(len(layer["features"])))
    first = group.locator("circle").first
    if layer["features"]:
        expect(first).to_be_visible()
    box.uncheck()
    expect(group).to_have_attribute("display", "none")
    if layer["features"]:
        expect(first).to_be_hidden()
    box.check()
    expect(group).to_have_attribute("display", "inline")
    if layer["features"]:
        expect(first).to_be_visible()


def shows_attributes(page: Page, present: list[dict]) -> None:
    """Hovering a feature shows a tooltip with its layer and attributes; clicking keeps them in
    the side panel. The feature tried is the first, layer by layer, that nothing covers at its
    centre, so the mouse reaches it as a reader's would."""
    found = page.evaluate(
        """() => {
        for (const shape of document.querySelectorAll('.layer circle')) {
            const box = shape.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            if (document.elementFromPoint(x, y) === shape) return [shape.dataset.l, shape.dataset.f, x, y];
        }
        return null;
    }"""
    )
    assert found is not None, "no feature of any layer can be reached by the mouse"
    layer = next(x for x in present if x["id"] == page_layer_id(page, int(found[0])))
    feature = page.locator(f'.layer circle[data-l="{found[0]}"][data-f="{found[1]}"]')
    x, y = float(found[2]), float(found[3])
    page.mouse.move(x, y)
    tip = page.locator("#tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(layer["label"])
    for name in layer["fields"]:
        expect(tip).to_contain_text(name)
    page.mouse.click(x, y)
    expect(page.locator("#info")).to_contain_text(layer["label"])
    expect(feature).to_have_class(re.compile(r"\bselected\b"))


def page_layer_id(page: Page, index: int) -> str:
    return page.locator(".layer").nth(index).get_attribute("data-layer") or ""


def zooms(page: Page) -> None:
    """+ halves the view's width, the reset button restores it."""
    svg = page.locator("#svg")

    def width() -> float:
        return float((svg.get_attribute("viewBox") or "0 0 0 0").split()[2])

    home = width()
    page.locator("#zoom-in").click()
    assert abs(width() - home / 2) < home * 1e-6
    page.locator("#zoom-reset").click()
    assert abs(width() - home) < home * 1e-6
