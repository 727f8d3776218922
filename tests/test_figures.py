"""``python -m swin_edu.figures`` renders every explorer's default view: the files in figures/ are what it draws.

The command renders into a temporary folder (never into the repository) and each PNG is compared with the stored
one pixel by pixel. A changed default view fails here until ``python -m swin_edu.figures`` is run again.
"""

import io
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
from PIL import Image

from swin_edu.figures import FIGURES, main
from swin_edu.viz import figure_pixels, plot_shift

STORED = Path(__file__).resolve().parent.parent / "figures"
# panels that show wall time measured on this CPU differ from run to run: compared on the left half only
MEASURED_ON_THE_RIGHT = {"complexity"}


def grey(png: bytes | Path) -> np.ndarray:
    data = png.read_bytes() if isinstance(png, Path) else png
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=float)


def differing(a: np.ndarray, b: np.ndarray) -> float:
    """The share of pixels whose grey level differs by more than 32 of 255 (anti-aliasing differs by less)."""
    return float((np.abs(a - b) > 32).mean())


def test_the_stored_figures_are_what_the_command_draws(tmp_path, capsys):
    main(["--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        f"{n}.{s}" for n in FIGURES for s in ("png", "svg")
    )
    for name in FIGURES:
        png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
        assert str(png) in printed
        assert ElementTree.parse(svg).getroot().tag.endswith("svg"), name
        drawn, stored = grey(png), grey(STORED / f"{name}.png")
        assert drawn.shape == stored.shape, f"{name}: {drawn.shape} drawn, {stored.shape} stored"
        if name in MEASURED_ON_THE_RIGHT:
            drawn, stored = drawn[:, : drawn.shape[1] // 2], stored[:, : stored.shape[1] // 2]
        assert differing(drawn, stored) < 0.002, f"{name}: re-render figures/ with python -m swin_edu.figures"


def test_the_comparison_sees_a_changed_view():
    """A figure one setting away from the stored default differs in far more pixels than the threshold."""
    stored = grey(STORED / "shift.png")
    changed = grey(png_of(figure_pixels(plot_shift(shift=1))))
    assert changed.shape == stored.shape and differing(changed, stored) > 0.01


def png_of(rgba: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="png")
    return buffer.getvalue()
