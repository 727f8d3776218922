"""Render every explorer's default view to PNG and SVG: ``python -m swin_edu.figures [--out DIR]``.

The files in the repository's ``figures/`` folder are made by this command; the README shows them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from swin_edu.images import sample_photo, sample_photo_array
from swin_edu.viz import (
    plot_attention_maps,
    plot_complexity,
    plot_mask,
    plot_receptive_field,
    plot_relative_position,
    plot_shift,
    plot_token_journey,
    plot_windows,
)
from swin_edu.widgets.receptive_field import default_model


def _attention_maps() -> Figure:
    model = default_model()
    size = model.config.img_size
    image, shown = sample_photo(size), sample_photo_array(size)
    return plot_attention_maps(model, image, stage=0, block=1, head=0, query=(20, 17), display_image=shown)


def _receptive_field() -> Figure:
    return plot_receptive_field(model=default_model())


FIGURES: dict[str, Callable[[], Figure]] = {
    "windows": plot_windows,
    "shift": plot_shift,
    "mask": plot_mask,
    "relative_position": plot_relative_position,
    "receptive_field": _receptive_field,
    "complexity": plot_complexity,
    "attention_maps": _attention_maps,
    "token_journey": plot_token_journey,
}


def render_all(out: Path, dpi: float = 100) -> list[Path]:
    """Write ``<name>.png`` and ``<name>.svg`` for every explorer into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    # no date or software stamp and fixed SVG ids: re-rendering the same figure gives the same file
    with matplotlib.rc_context({"svg.hashsalt": "swin-edu"}):
        for name, plot in FIGURES.items():
            figure = plot()
            for suffix in ("png", "svg"):
                path = out / f"{name}.{suffix}"
                metadata = {"Software": None} if suffix == "png" else {"Date": None, "Creator": None}
                figure.savefig(path, dpi=dpi, facecolor=figure.get_facecolor(), metadata=metadata)
                written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("figures"), help="folder for the PNG and SVG files")
    args = parser.parse_args(argv)
    for path in render_all(args.out):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
