"""Export the course notebooks as reveal.js decks that open from disk with the network off.

    python tools/slides.py [--out slides] [notebooks/NN_name.ipynb ...]     (what `make slides` runs)

Each notebook becomes ``<out>/NN_name.slides.html``: nbconvert's slides exporter with its reveal template
(``tools/slides_offline.html.j2`` leaves out the two parts that only a CDN could serve, mermaid and the widget
manager), every script and style sheet pointed at ``<out>/lib/``, where the local copies installed by ``npm ci``
(package.json, package-lock.json) are copied: reveal.js, MathJax 2 (the template typesets with ``MathJax.Hub``),
require.js and jQuery. The links are relative, so the folder can be copied to a lecture-hall machine as it is.

What a lecture shows, and what it leaves out:
- the slide structure is the cells' slideshow metadata (slide, subslide, fragment, skip, notes);
- solution and grading cells (tags ``solution``, ``grade``) are removed: the deck shows the exercise, not the answer;
- an explorer appears as the figure stored with it (every explorer output carries a static image next to its
  widget view); an output that is only a widget (a progress bar) is left out.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
TEMPLATE = Path(__file__).resolve().with_name("slides_offline.html.j2")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HIDDEN_TAGS = ("solution", "grade")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STATIC_FIGURES = ("image/png", "image/jpeg", "image/svg+xml")

# What the decks load, per npm package: the files and folders copied to <out>/lib/<package>/.
ASSETS = {
    "reveal.js": (
        "LICENSE", "dist/reveal.css", "dist/reveal.js", "dist/theme/white.css", "dist/theme/fonts/source-sans-pro",
        "plugin/notes",
    ),
    "mathjax": (
        "LICENSE", "MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/element",
        "jax/input/TeX", "jax/output/CommonHTML", "localization/en", "fonts/HTML-CSS/TeX/woff",
    ),
    "requirejs": ("require.js",),  # its licence is in the file's header
    "jquery": ("LICENSE.txt", "dist/jquery.min.js"),
}  # fmt: skip
URLS = {  # relative to the deck, in nbconvert's own settings
    # the theme 'white': the default 'simple' imports Google Fonts; scroll: a slide taller than the screen scrolls
    "SlidesExporter": {"reveal_url_prefix": "lib/reveal.js", "reveal_theme": "white", "reveal_scroll": True},
    "HTMLExporter": {
        "mathjax_url": "lib/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        "require_js_url": "lib/requirejs/require.js",
        "jquery_url": "lib/jquery/dist/jquery.min.js",
    },
}


class StaticExplorers(Preprocessor):
    """Explorer outputs show their stored figure: the widget view and the saved widget state are dropped."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [static for output in cell.outputs if (static := static_output(output)) is not None]
        return cell, resources


def static_output(output: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """``output`` without its widget view: the stored figure if it has one, None if it is only a widget."""
    data = output.get("data", {})
    if WIDGET_VIEW not in data:
        return output
    if not any(mime in data for mime in STATIC_FIGURES):
        return None
    output.data = {mime: value for mime, value in data.items() if mime in STATIC_FIGURES}
    return output


def slides_exporter() -> SlidesExporter:
    """nbconvert's slides exporter with local URLs, no solution or grading cells, explorers as figures."""
    config = Config(URLS)
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(HIDDEN_TAGS)
    exporter = SlidesExporter(config=config, template_file=TEMPLATE.name, extra_template_paths=[str(TEMPLATE.parent)])
    exporter.register_preprocessor(StaticExplorers, enabled=True)
    return exporter


def copy_assets(out: Path) -> None:
    """Copy what the decks load from node_modules/ to ``out``/lib/ (FileNotFoundError: what to run if it is missing)."""
    missing = [package for package in ASSETS if not (NODE_MODULES / package).is_dir()]
    missing += [f"{package}/{item}" for package, items in ASSETS.items() for item in items if package not in missing]
    missing = [name for name in missing if not (NODE_MODULES / name).exists()]
    if missing:
        raise FileNotFoundError(f"node_modules/ lacks {', '.join(missing)}: run `npm ci` first")
    lib = out / "lib"
    shutil.rmtree(lib, ignore_errors=True)
    for package, items in ASSETS.items():
        for item in items:
            source, target = NODE_MODULES / package / item, lib / package / item
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)


def export_decks(out: Path, notebooks: list[Path]) -> list[Path]:
    """Write ``out``/NN_name.slides.html for each notebook, and the assets they load; return the decks' paths."""
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    exporter = slides_exporter()
    decks = []
    for notebook in notebooks:
        html, _ = exporter.from_filename(str(notebook))
        deck = out / f"{notebook.stem}{exporter.file_extension}"
        deck.write_text(html, encoding="utf-8")
        decks.append(deck)
    return decks


class _SlideCounter(HTMLParser):
    """Counts the slides reveal.js counts: every <section> with no <section> inside (a stack is not a slide)."""

    def __init__(self) -> None:
        super().__init__()
        self.open_sections: list[bool] = []  # per open <section>: has a <section> inside
        self.slides = 0

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            if self.open_sections:
                self.open_sections[-1] = True
            self.open_sections.append(False)

    def handle_endtag(self, tag):
        if tag == "section":
            self.slides += not self.open_sections.pop()


def count_slides(html: str) -> int:
    """The number of slides in a deck, as ``Reveal.getTotalSlides()`` counts them (fragments are not slides)."""
    counter = _SlideCounter()
    counter.feed(html)  # HTMLParser reads a <script> as text: a "<section>" in code is no slide
    counter.close()
    return counter.slides


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "slides", help="the folder of the decks (default: slides/)")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or NOTEBOOKS
    for path in notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            sys.exit(f"expected an existing .ipynb file, got {path}")
    try:
        decks = export_decks(args.out, notebooks)
    except FileNotFoundError as missing:
        sys.exit(str(missing))
    for deck in decks:
        print(f"{deck}: {count_slides(deck.read_text(encoding='utf-8'))} slides")


if __name__ == "__main__":
    main()
