"""What a student sees while moving the explorers' controls in JupyterLab (chromium): frames and waiting times.

- Dragging a slider with the mouse must redraw while the slider moves (``continuous_update``), not only on
  release: the test asserts that new figures arrived during the drag, and records how many per second and how
  many arrived after the release (a figure that lags the hand). Then the figure shown must be the one for the
  slider's final value, not a stale one (the slider stepped away and back with the keyboard draws it again).
- A keyboard step (ArrowRight on a focused slider) is timed from the key press to the new figure's ``load``
  event in the page: the figure is decoded and on screen.
- Play animates the token's journey (started from the keyboard).

No timing is asserted (timings depend on the machine). The numbers go to ``live_report.jsonl`` in the browser
tests' artifacts folder (outside the repository; ``servers.artifacts_dir``), one JSON line per measurement,
labelled with ``$SWIN_EDU_LIVE_LABEL`` (default "current"): run once with ``PYTHONPATH`` pointing at an older
checkout of the package and the label "before" to compare. tests/browser/live.ipynb shows the explorers.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_driver import LabServer, NotebookPage
from playwright.sync_api import Browser, Locator, Page

DRAG_MOVES = 60  # mouse moves per drag, one every DRAG_INTERVAL_MS: about 3 s of dragging
DRAG_INTERVAL_MS = 50
KEY_STEPS = 8
FRAME_TIMEOUT_MS = 30_000  # a first draw on two busy cores can take seconds

# Every new figure: the widget's <img> gets a new blob URL; its `load` event says it is decoded and shown.
WATCH_JS = """img => {
    if (img.__frames) return;
    img.__frames = [];
    img.addEventListener('load', () => img.__frames.push({t: performance.now(), src: img.src}));
}"""
DIGEST_JS = """async img => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('');
}"""
KEYS_JS = """() => {
    if (window.__keys) return;
    window.__keys = [];
    document.addEventListener('keydown', event => window.__keys.push(performance.now()), true);
}"""


def report(record: dict) -> None:
    """Append one measurement to live_report.jsonl in the artifacts folder, and print it."""
    from servers import artifacts_dir

    record = {"label": os.environ.get("SWIN_EDU_LIVE_LABEL", "current"), "when": time.strftime("%F %T"), **record}
    with (artifacts_dir("browser") / "live_report.jsonl").open("a") as file:
        file.write(json.dumps(record) + "\n")
    print(json.dumps(record))


@pytest.fixture(scope="module")
def live(browser: Browser, lab_server: LabServer, artifacts: Path) -> Iterator[NotebookPage]:
    """live.ipynb, run once through the menus, shared by the tests of this module."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    notebook = NotebookPage(context.new_page(), lab_server, artifacts)
    notebook.open("live.ipynb")
    notebook.run_all(timeout_s=300)
    yield notebook
    context.close()
    lab_server.shut_down_kernels()


def explorer(notebook: NotebookPage, name: str) -> Locator:
    """The output of the cell that shows explorer `name`, once its figure is on screen."""
    cells = notebook.cells()
    cell = next(c for c in cells if f"explorers.{name}(" in c.source)
    assert not cell.errors, f"{name}: {cell.errors}"
    output = notebook.cell(cell.index).locator(".jp-Cell-outputArea")
    output.locator("img.widget-image").wait_for(timeout=FRAME_TIMEOUT_MS)
    output.scroll_into_view_if_needed()
    return output


def slider(output: Locator, label: str) -> Locator:
    found = output.locator(".widget-slider").filter(has=output.page.locator(f'label:text-is("{label}")'))
    assert found.count() == 1, f"no single slider labelled {label!r}"
    return found


def frames(image: Locator) -> list[dict]:
    return image.evaluate("img => img.__frames")


def shown_digest(image: Locator) -> str:
    """SHA-256 of the bytes of the figure the image element shows now."""
    return image.evaluate(DIGEST_JS)


def drag(page: Page, output: Locator, label: str) -> dict:
    """Drag a slider's handle with the mouse to the right end, the left end and back home; count new figures.

    Only the frames of this drag count (the watcher stays on the image from earlier tests). Once the last frame
    has arrived, the figure shown must be the one drawn for the final settings: stepping the slider away and
    back with the keyboard (one slow step each, at rest) must bring the same image back.
    """
    image, control = output.locator("img.widget-image"), slider(output, label)
    image.evaluate(WATCH_JS)
    readout = control.locator(".widget-readout")
    earlier = len(frames(image))
    handle, track = control.locator(".noUi-handle"), control.locator(".noUi-base")
    box, track_box = handle.bounding_box(), track.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    start, readouts = page.evaluate("performance.now()"), set()
    right, left = track_box["x"] + track_box["width"] - 1, track_box["x"] + 1
    home = box["x"] + box["width"] / 2  # back there at the end: the next test finds the explorer as it was
    legs = [(home, right), (right, left), (left, home)]
    targets = [a + (b - a) * (i + 1) / (DRAG_MOVES // 3) for a, b in legs for i in range(DRAG_MOVES // 3)]
    for x in targets:
        page.mouse.move(x, y)
        page.wait_for_timeout(DRAG_INTERVAL_MS)
        readouts.add(readout.inner_text())
    end = page.evaluate("performance.now()")
    page.mouse.up()
    page.wait_for_timeout(3000)  # the last value's figure arrives after the release
    drawn = frames(image)[earlier:]
    during = [frame for frame in drawn if start <= frame["t"] <= end]
    after = [frame for frame in drawn if frame["t"] > end]
    seconds = (end - start) / 1000
    return {
        "drag_s": round(seconds, 2),
        "values_seen": len(readouts),
        "frames_during_drag": len({frame["src"] for frame in during}),
        "frames_per_s": round(len({frame["src"] for frame in during}) / seconds, 1),
        "frames_after_release": len(after),
        "last_frame_after_release_ms": round(after[-1]["t"] - end) if after else 0,
        "final_value": readout.inner_text(),
        "final_figure_matches": final_figure_matches(page, image, control),
    }


def final_figure_matches(page: Page, image: Locator, control: Locator) -> bool:
    """Whether the figure shown is the one drawn for the slider's value: step away and back (keyboard, at rest)."""
    readout, handle = control.locator(".widget-readout"), control.locator(".noUi-handle")
    value, shown = readout.inner_text(), shown_digest(image)
    away, back = (
        ("ArrowLeft", "ArrowRight")
        if handle.get_attribute("aria-valuenow") != handle.get_attribute("aria-valuemin")
        else ("ArrowRight", "ArrowLeft")
    )
    handle.focus()
    for key in (away, back):
        handle.press(key)
        page.wait_for_timeout(1500)  # at rest: the step's figure is drawn and on screen
    assert readout.inner_text() == value, f"stepping {away} and {back} did not bring the slider back to {value}"
    return shown_digest(image) == shown


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    "name, label",
    [
        ("token_journey_explorer", "step (0 = patch)"),
        ("token_journey_explorer", "pixel row"),
        ("shift_explorer", "shift s"),
        ("mask_explorer", "query token"),
        ("window_explorer", "image size (px)"),
        ("relative_position_explorer", "window M"),
        ("relative_position_explorer", "query token"),
    ],
)
def test_dragging_a_slider_redraws_while_it_moves(live: NotebookPage, name: str, label: str) -> None:
    output = explorer(live, name)
    measured = drag(live.page, output, label)
    report({"measure": "drag", "explorer": name, "slider": label, **measured})
    live.screenshot(output, f"drag-{name}-{label.split()[0]}")
    assert measured["values_seen"] > 2, f"the drag did not move the slider: {measured}"
    assert measured["frames_during_drag"] >= 2, f"{name}: no new figure while dragging {label!r}: {measured}"
    assert measured["final_figure_matches"], f"{name}: the figure is not the one for the final {label}: {measured}"


def step_times(page: Page, output: Locator, label: str, keys: list[str]) -> list[float]:
    """Milliseconds from each key press on the slider to the load of the next new figure."""
    image, control = output.locator("img.widget-image"), slider(output, label)
    image.evaluate(WATCH_JS)
    page.evaluate(KEYS_JS)
    handle, times = control.locator(".noUi-handle"), []
    for key in keys:
        seen = len(frames(image))
        handle.focus()
        handle.press(key)
        page.wait_for_function(
            "([img, n]) => img.__frames.length > n", arg=[image.element_handle(), seen], timeout=FRAME_TIMEOUT_MS
        )
        page.wait_for_timeout(300)  # let a second frame (a late redraw) land before the next key
        pressed = page.evaluate("window.__keys[window.__keys.length - 1]")
        times.append(frames(image)[seen]["t"] - pressed)
    return times


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    "name, label, keys",
    [
        ("mask_explorer", "query token", ["ArrowRight"] * KEY_STEPS),
        ("window_explorer", "stage", ["ArrowRight"] * 3 + ["ArrowLeft"] * 3 + ["ArrowRight"] * 2),
        ("token_journey_explorer", "step (0 = patch)", ["ArrowRight"] * KEY_STEPS),
        ("relative_position_explorer", "window M", ["ArrowRight"] * 2 + ["ArrowLeft"] * 5 + ["ArrowRight"] * 1),
    ],
)
def test_time_from_a_key_press_to_the_new_figure(live: NotebookPage, name: str, label: str, keys: list[str]) -> None:
    output = explorer(live, name)
    times = step_times(live.page, output, label, keys)
    report({
        "measure": "keyboard step", "explorer": name, "slider": label, "steps": len(times),
        "median_ms": round(statistics.median(times)), "min_ms": round(min(times)), "max_ms": round(max(times)),
        "all_ms": [round(t) for t in times],
    })  # fmt: skip
    assert len(times) == len(keys)  # every key press brought a new figure (else wait_for_function timed out)


@pytest.mark.timeout(300)
def test_play_animates_the_journey_from_the_keyboard(live: NotebookPage) -> None:
    output = explorer(live, "token_journey_explorer")
    readout = slider(output, "step (0 = patch)").locator(".widget-readout")
    start = readout.inner_text()
    play = output.locator(".widget-play button").first
    play.focus()
    play.press("Enter")
    seen = {start}
    deadline = time.monotonic() + 20
    while len(seen) < 4 and time.monotonic() < deadline:
        live.page.wait_for_timeout(200)
        seen.add(readout.inner_text())
    play.press("Enter")  # the same button pauses
    assert len(seen) >= 4, f"Play moved the step slider through {sorted(seen)} only"
