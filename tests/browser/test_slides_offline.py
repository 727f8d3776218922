"""A slide deck from `make slides` works in a lecture hall with no network: chromium opens it from disk, every
request that is not a local file is aborted and recorded, and the deck must render and advance with none made.

Per deck (two: the overview, and 04 with its math and explorer figures): the first slide shows the notebook's
title; MathJax typesets every formula (as many rendered as there are formulas, none in error, its web font
loaded from disk); every stored figure is a loaded image; reveal.js counts the slides tools/slides.py counts;
ArrowRight moves reveal.js on; no request left the machine and no local file failed to load.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Browser, Page, expect

ROOT = Path(__file__).resolve().parents[2]
DECKS = ["00_overview", "04_shifted_windows"]
LOAD_TIMEOUT_MS = 60_000
# reveal.js is loaded by require.js (nbconvert's template), so it is a module, not a global: ask require.js for it
REVEAL = "require('lib/reveal.js/dist/reveal.js')"
REVEAL_READY = f"() => {{ try {{ return {REVEAL}.isReady(); }} catch (notLoadedYet) {{ return false; }} }}"
MATHJAX_DONE = "() => new Promise(resolve => MathJax.Hub.Queue(() => resolve(true)))"  # after the queued typesetting
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def load_slides_tool():
    spec = importlib.util.spec_from_file_location("slides_tool", ROOT / "tools" / "slides.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slides_tool = load_slides_tool()


@dataclass
class Traffic:
    """What the page asked for beyond the disk, which local files failed, and the page's errors."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The decks, exported as `make slides` does into a temporary folder: {notebook stem: deck}."""
    notebooks = [ROOT / "notebooks" / f"{stem}.ipynb" for stem in DECKS]
    decks = slides_tool.export_decks(tmp_path_factory.mktemp("slides"), notebooks)
    return {deck.name.removesuffix(".slides.html"): deck for deck in decks}


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[tuple[Page, Traffic]]:
    """A page whose every request that is not a local file is aborted and recorded."""
    traffic = Traffic()
    context = browser.new_context(viewport={"width": 1280, "height": 800})

    def local_only(route) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            traffic.blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", local_only)
    page = context.new_page()
    page.on("request", lambda r: None if r.url.startswith(LOCAL_SCHEMES) else traffic.blocked.append(r.url))
    page.on("requestfailed", lambda r: traffic.failed.append(f"{r.url[:200]}: {r.failure}"))
    page.on("pageerror", lambda error: traffic.errors.append(str(error)))
    page.on("console", lambda message: traffic.errors.append(message.text) if message.type == "error" else None)
    yield page, traffic
    context.close()


def title_of(stem: str) -> str:
    """The notebook's title: the first line of its first cell, without the leading '#'s."""
    first = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells[0]
    return re.sub(r"^#+\s*", "", first.source.strip().splitlines()[0])


@pytest.mark.parametrize("stem", DECKS)
def test_deck_renders_and_advances_with_the_network_off(
    offline_page: tuple[Page, Traffic], decks: dict[str, Path], artifacts: Path, stem: str
) -> None:
    page, traffic = offline_page
    deck = decks[stem]
    page.goto(deck.as_uri())
    page.wait_for_function(REVEAL_READY, timeout=LOAD_TIMEOUT_MS)

    # the first slide, on screen, with the notebook's title
    first_slide = page.locator(".reveal .slides > section.present").first
    expect(first_slide).to_be_visible()
    title = first_slide.get_by_role("heading", level=1, name=title_of(stem), exact=True)  # its hidden '¶' apart
    expect(title).to_be_visible()
    expect(title).to_be_in_viewport()

    # math: every formula typeset, none in error, with MathJax's web font from disk
    page.wait_for_function("() => window.MathJax && MathJax.isReady", timeout=LOAD_TIMEOUT_MS)
    page.evaluate(MATHJAX_DONE)
    formulas = page.locator('script[type^="math/tex"]').count()
    assert formulas > 0, "the notebook's $...$ formulas reached MathJax"
    assert page.locator(".MathJax_CHTML").count() == formulas
    assert page.locator(".mjx-merror, .MathJax_Error").count() == 0
    fonts = page.evaluate("() => Array.from(document.fonts).map(font => [font.family, font.status])")
    assert any(family.startswith("MJXc-TeX") and status == "loaded" for family, status in fonts), fonts

    # the stored figures (explorers included) are images that loaded
    sizes = page.evaluate("() => Array.from(document.images).map(image => image.complete && image.naturalWidth)")
    assert sizes and all(width and width > 0 for width in sizes), sizes

    # reveal.js counts what tools/slides.py counts, and ArrowRight moves on
    assert page.evaluate(f"{REVEAL}.getTotalSlides()") == slides_tool.count_slides(deck.read_text(encoding="utf-8"))
    before = page.evaluate(f"{REVEAL}.getIndices()")
    page.screenshot(path=artifacts / f"slides-offline-{stem}-first.png")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"before => JSON.stringify({REVEAL}.getIndices()) !== before", arg=json.dumps(before))
    page.screenshot(path=artifacts / f"slides-offline-{stem}-next.png")

    assert traffic.blocked == [], "requests that would have left the machine"
    assert traffic.failed == [], "local files the deck could not load"
    assert traffic.errors == []
