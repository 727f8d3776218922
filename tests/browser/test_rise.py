"""The course presents as slides: a notebook opened in RISE (jupyterlab-rise, its `/rise/<path>` page) shows
its first slides, each with the heading of the markdown cell that starts it, and the arrow key moves on."""

import json
import re
from pathlib import Path

import pytest
from lab_driver import LabServer
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SLIDES_CHECKED = 3
# the slide on screen: a top-level section of reveal.js marked `present`
PRESENT_SLIDE = ".reveal .slides > section.present, .reveal .jp-Notebook > section.present"


def slide_headings(notebook: Path) -> list[str]:
    """The first line of each markdown cell that starts a slide, without its leading '#'s."""
    cells = json.loads(notebook.read_text())["cells"]
    starts = [c for c in cells if c["metadata"].get("slideshow", {}).get("slide_type") == "slide"]
    return [
        re.sub(r"^#+\s*", "", "".join(c["source"]).strip().splitlines()[0])
        for c in starts
        if c["cell_type"] == "markdown"
    ]


@pytest.mark.parametrize("name", ["00_overview.ipynb"])
def test_first_slides_render_in_rise(page: Page, lab_server: LabServer, artifacts: Path, name: str) -> None:
    headings = slide_headings(ROOT / "notebooks" / name)
    assert len(headings) >= SLIDES_CHECKED, f"{name}: only {len(headings)} markdown cells start a slide"
    page.goto(lab_server.url(f"/rise/{name}"))
    for number, heading in enumerate(headings[:SLIDES_CHECKED], start=1):
        slide = page.locator(PRESENT_SLIDE)
        slide.first.wait_for(state="visible", timeout=120_000)
        rendered_heading = slide.first.locator(".jp-RenderedMarkdown :is(h1, h2, h3)", has_text=heading)
        # rendered markdown (not its source), wholly on screen once the slide has moved in
        expect(rendered_heading.first).to_be_in_viewport(ratio=1, timeout=30_000)
        page.screenshot(path=artifacts / f"rise-{Path(name).stem}-slide{number}.png", animations="disabled")
        page.keyboard.press("ArrowRight")
