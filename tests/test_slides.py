"""The offline slide decks (`make slides`, tools/slides.py): a lecture's worth, loaded from disk, no answers shown.

Every notebook is exported once, into a temporary folder, by the same code `make slides` runs. Per deck:
- its slide count, printed and recorded (``record_property("slides", n)``, in the JUnit report) and written to
  ``$SWIN_EDU_TEST_ARTIFACTS/slides/slide_counts.json``; a deck fits a 45-minute lecture with at most
  ``MAX_SLIDES`` slides. A slide is what reveal.js counts (``Reveal.getTotalSlides()``, which the browser test
  compares): a horizontal slide without vertical slides, or a vertical slide; fragments are not slides. nbconvert
  starts a horizontal slide at each cell of slide type "slide" and a vertical one at each "subslide" (the first
  shown cell always starts a slide), so the count is checked against the notebook's own slideshow metadata;
- nothing is loaded from the network: no script, style sheet, font or image from an http(s) URL, in the deck or in
  the style sheets copied next to it, and every local file it names exists;
- no solution or grading cell: no line that only a solution or grading cell has is a line of the deck's text, while
  every other code cell is there;
- the explorers appear as their stored figures: one image per stored figure, no widget view, no widget state.
The network and solution checks are shown to fail on nbconvert's default deck (CDN links, every cell shown).
A lecturer's guide page (docs/lecturers/NN_name.md) names its deck and, where it gives one, the deck's true count.
"""

from __future__ import annotations

import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert import SlidesExporter
from servers import artifacts_dir

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CONTROL_NOTEBOOK = ROOT / "notebooks" / "04_shifted_windows.ipynb"
MAX_SLIDES = 40  # "each notebook fits a lecture: decks over about 40 slides are split or trimmed" (issue 12)
MIN_SLIDES = 3
MIN_DISTINCT_LINE = 10  # shorter lines (")", "else:") say nothing of a solution
HIDDEN_TAGS = {"solution", "grade"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FIGURE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)  # http://, https:// and protocol-relative //host
# what a browser loads, by tag: the attribute holding the address
LOADING_ATTRIBUTES = {
    "script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "video": "src",
    "audio": "src", "embed": "src", "object": "data", "input": "src", "track": "src",
}  # fmt: skip
CSS_REMOTE = re.compile(r"(@import\s+|url\(\s*)['\"]?\s*(https?:)?//", re.IGNORECASE)
SCRIPT_REMOTE = re.compile(r"['\"`]\s*(https?:)?//[^'\"`\s]+['\"`]", re.IGNORECASE)  # a quoted URL in code


def load_slides_tool():
    spec = importlib.util.spec_from_file_location("slides_tool", ROOT / "tools" / "slides.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slides_tool = load_slides_tool()


class DeckReader(HTMLParser):
    """What a deck loads (addresses by tag, inline scripts and styles) and the text it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []  # (tag, address)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self.images = 0
        self._inside: str | None = None  # "script" or "style" while inside one

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        address = attributes.get(LOADING_ATTRIBUTES.get(tag, ""))
        if address:
            self.loads.append((tag, address))
        if tag == "img":
            self.images += 1
        if attributes.get("style"):
            self.styles.append(attributes["style"])
        if tag in ("script", "style"):
            self._inside = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag):
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data):
        if self._inside == "script":
            self.scripts[-1] += data
        elif self._inside == "style":
            self.styles[-1] += data
        else:
            self.text.append(data)


def read_deck(html: str) -> DeckReader:
    reader = DeckReader()
    reader.feed(html)
    reader.close()
    return reader


def remote_loads(deck: Path) -> list[str]:
    """Everything ``deck`` would fetch from a network: addresses, CSS imports and URLs, URLs quoted in scripts."""
    reader = read_deck(deck.read_text(encoding="utf-8"))
    found = [f"<{tag}> {address}" for tag, address in reader.loads if REMOTE.match(address)]
    found += [f"style: {match.group(0)}" for css in reader.styles for match in CSS_REMOTE.finditer(css)]
    found += [f"script: {match.group(0)}" for code in reader.scripts for match in SCRIPT_REMOTE.finditer(code)]
    return found


def shown_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells a deck shows: not removed (solution, grading), not skipped."""
    return [
        cell
        for cell in notebook.cells
        if not HIDDEN_TAGS & set(cell.metadata.get("tags", []))
        and cell.metadata.get("slideshow", {}).get("slide_type") != "skip"
    ]


def expected_slides(notebook: nbformat.NotebookNode) -> int:
    """Slides from the metadata: one per 'slide' or 'subslide' cell; the first shown cell starts one regardless."""
    kept = [cell for cell in notebook.cells if not HIDDEN_TAGS & set(cell.metadata.get("tags", []))]
    types = [cell.metadata.get("slideshow", {}).get("slide_type", "-") for cell in kept]
    first = next(index for index, kind in enumerate(types) if kind not in ("skip", "notes"))
    return 1 + sum(kind in ("slide", "subslide") for kind in types[first + 1 :])


def lines_of(cell: nbformat.NotebookNode) -> set[str]:
    return {line.strip() for line in cell.source.splitlines() if line.strip()}


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every notebook exported as `make slides` does, into a temporary folder: {notebook stem: deck}."""
    out = tmp_path_factory.mktemp("slides")
    return {deck.name.removesuffix(".slides.html"): deck for deck in slides_tool.export_decks(out, NOTEBOOKS)}


@pytest.fixture(params=NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def notebook_path(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_every_notebook_has_a_deck_named_after_it(decks: dict[str, Path]) -> None:
    assert sorted(decks) == [path.stem for path in NOTEBOOKS]
    for stem, deck in decks.items():
        assert deck.name == f"{stem}.slides.html" and deck.parent.name.startswith("slides")


def test_slide_count_follows_the_slideshow_metadata(notebook_path: Path, decks: dict[str, Path]) -> None:
    html = decks[notebook_path.stem].read_text(encoding="utf-8")
    assert 'class="reveal"' in html and "Reveal.initialize" in html
    assert slides_tool.count_slides(html) == expected_slides(nbformat.read(notebook_path, as_version=4))


def test_deck_fits_a_lecture(notebook_path: Path, decks: dict[str, Path], record_property) -> None:
    slides = slides_tool.count_slides(decks[notebook_path.stem].read_text(encoding="utf-8"))
    record_property("slides", slides)
    print(f"{notebook_path.stem}: {slides} slides")
    counts = artifacts_dir("slides") / "slide_counts.json"
    recorded = json.loads(counts.read_text()) if counts.exists() else {}
    counts.write_text(json.dumps({**recorded, notebook_path.stem: slides}, indent=1, sort_keys=True))
    assert MIN_SLIDES <= slides <= MAX_SLIDES, (
        f"{notebook_path.name} makes {slides} slides; a lecture's deck has {MIN_SLIDES} to {MAX_SLIDES}: "
        "split the notebook or trim it (fewer 'slide'/'subslide' cells)"
    )


def test_deck_loads_nothing_from_the_network(notebook_path: Path, decks: dict[str, Path]) -> None:
    assert remote_loads(decks[notebook_path.stem]) == []


def test_style_sheets_next_to_the_decks_load_nothing_from_the_network(decks: dict[str, Path]) -> None:
    lib = next(iter(decks.values())).parent / "lib"
    sheets = sorted(lib.rglob("*.css"))
    assert len(sheets) >= 3, f"expected reveal.js's, its theme's and its font's style sheets in {lib}"
    remote = {str(sheet.relative_to(lib)): CSS_REMOTE.findall(sheet.read_text()) for sheet in sheets}
    assert {name: found for name, found in remote.items() if found} == {}


def test_every_file_a_deck_loads_is_next_to_it(notebook_path: Path, decks: dict[str, Path]) -> None:
    deck = decks[notebook_path.stem]
    local = [address for _, address in read_deck(deck.read_text(encoding="utf-8")).loads]
    local = [address.split("?")[0] for address in local if not address.startswith("data:")]
    assert len(local) >= 5, f"reveal.js (script, style, theme), MathJax, require.js, jQuery: got {local}"
    assert [address for address in local if not (deck.parent / address).is_file()] == []


def solution_lines_shown(notebook: nbformat.NotebookNode, html: str) -> list[str]:
    """The lines that only solution or grading cells have, found as whole lines of the deck's text."""
    hidden = [HIDDEN_TAGS & set(cell.metadata.get("tags", [])) for cell in notebook.cells]
    hidden_lines = set().union(*(lines_of(cell) for cell, tags in zip(notebook.cells, hidden) if tags))
    other_lines = set().union(*(lines_of(cell) for cell, tags in zip(notebook.cells, hidden) if not tags))
    only_hidden = {line for line in hidden_lines - other_lines if len(line) >= MIN_DISTINCT_LINE}
    text_lines = {line.strip() for line in "".join(read_deck(html).text).splitlines()}
    return sorted(only_hidden & text_lines)


def test_no_solution_or_grading_in_the_deck(notebook_path: Path, decks: dict[str, Path]) -> None:
    notebook = nbformat.read(notebook_path, as_version=4)
    html = decks[notebook_path.stem].read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in html
    assert solution_lines_shown(notebook, html) == []
    # the text is read right: every other code cell's longest line is there
    text = "".join(read_deck(html).text)
    shown_code = [cell for cell in shown_cells(notebook) if cell.cell_type == "code" and cell.source.strip()]
    assert [cell.source for cell in shown_code if max(lines_of(cell), key=len) not in text] == []


@pytest.fixture(scope="module")
def default_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Notebook 04 (math, explorers, exercises) exported by nbconvert's slides exporter as it comes."""
    html, _ = SlidesExporter().from_filename(str(CONTROL_NOTEBOOK))
    deck = tmp_path_factory.mktemp("default") / f"{CONTROL_NOTEBOOK.stem}.slides.html"
    deck.write_text(html, encoding="utf-8")
    return deck


def test_the_checks_catch_what_nbconvert_does_by_default(default_deck: Path) -> None:
    """Without tools/slides.py, a deck loads from CDNs and shows the solutions: the checks above say so."""
    found = "\n".join(remote_loads(default_deck))
    for cdn_file in ("reveal.js", "reveal.css", "simple.css", "require.min.js", "jquery.min.js", "MathJax", "mermaid"):
        assert cdn_file.lower() in found.lower(), f"{cdn_file} is not among what the check found:\n{found}"
    assert "html-manager" in found  # the widget manager: this notebook has explorers
    notebook = nbformat.read(CONTROL_NOTEBOOK, as_version=4)
    assert solution_lines_shown(notebook, default_deck.read_text(encoding="utf-8"))


def test_explorers_appear_as_their_stored_figures(notebook_path: Path, decks: dict[str, Path]) -> None:
    notebook = nbformat.read(notebook_path, as_version=4)
    html = decks[notebook_path.stem].read_text(encoding="utf-8")
    outputs = [output for cell in shown_cells(notebook) if cell.cell_type == "code" for output in cell.outputs]
    figures = sum(any(mime in output.get("data", {}) for mime in FIGURE_TYPES) for output in outputs)
    assert read_deck(html).images == figures
    assert WIDGET_VIEW not in html
    assert "application/vnd.jupyter.widget-state+json" not in html


def test_no_notebook_draws_a_mermaid_diagram(notebook_path: Path, decks: dict[str, Path]) -> None:
    """The offline template loads no mermaid (a CDN module); a diagram would show as its source."""
    html = decks[notebook_path.stem].read_text(encoding="utf-8")
    assert "jp-Mermaid" not in html and 'class="mermaid"' not in html


def test_an_explorer_output_keeps_only_its_stored_figure() -> None:
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    explorer = nbformat.v4.new_output(
        "display_data", data={WIDGET_VIEW: view, "image/png": "iVBOR", "text/plain": "VBox(...)"}
    )
    assert slides_tool.static_output(explorer).data == {"image/png": "iVBOR"}
    progress_bar = nbformat.v4.new_output("display_data", data={WIDGET_VIEW: view, "text/plain": "IntProgress()"})
    assert slides_tool.static_output(progress_bar) is None
    printed = nbformat.v4.new_output("stream", text="Correct")
    assert slides_tool.static_output(printed) == nbformat.v4.new_output("stream", text="Correct")


def test_slides_are_counted_as_reveal_counts_them() -> None:
    """Hand-worked: a stack of two vertical slides is two slides, a lone slide one; a <section> in a script none."""
    html = (
        "<div class='slides'><section><section>a</section><section>b<div class='fragment'>c</div></section></section>"
        "<section>d</section><script>var s = '<section></section>';</script></div>"
    )
    assert slides_tool.count_slides(html) == 3


def test_lecturers_guide_names_the_deck_and_its_slide_count(decks: dict[str, Path]) -> None:
    """Each page of docs/lecturers/ names its deck as `make slides` writes it, and any "N slides" there is the count."""
    pages = sorted(path for path in (ROOT / "docs" / "lecturers").glob("[0-9][0-9]_*.md"))
    assert pages, "docs/lecturers/ has a page per notebook (issue 12)"
    wrong = {}
    for page in pages:
        assert page.stem in decks, f"{page.name} is named after no notebook"
        section = page.read_text().partition("\n## Slides")[2].split("\n## ")[0]
        stated = {int(number) for number in re.findall(r"\b(\d+) slides\b", section)}
        actual = slides_tool.count_slides(decks[page.stem].read_text(encoding="utf-8"))
        if f"slides/{page.stem}.slides.html" not in section or stated - {actual}:
            wrong[page.name] = f"names {re.findall(r'slides/[^` )]*', section)}, says {sorted(stated)}; is {actual}"
    assert wrong == {}, "the '## Slides' section names `slides/NN_name.slides.html` and its true slide count"
