"""How long each explorer takes to redraw: build the figure and render it to the PNG the widget shows.

    python benchmarks/bench_explorers.py [--repeats 7]

Prints, per explorer, the median wall time and the median CPU time of this process over several redraws that
alternate between two settings (target: under 200 ms each). The first call of each explorer (warm-up:
imports, photo, cached measurements and gradients) is reported separately and not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("MPLBACKEND", "Agg")

from matplotlib.figure import Figure  # noqa: E402

from swin_edu.viz import (  # noqa: E402
    plot_complexity,
    plot_mask,
    plot_receptive_field,
    plot_relative_position,
    plot_shift,
    plot_windows,
)
from swin_edu.viz.style import figure_png  # noqa: E402

# two settings per explorer, as a student toggling one control
EXPLORERS: dict[str, tuple[Callable[[], Figure], Callable[[], Figure]]] = {
    "window_explorer": (lambda: plot_windows(stage=1), lambda: plot_windows(stage=2)),
    "shift_explorer": (lambda: plot_shift(shift=2), lambda: plot_shift(shift=1)),
    "mask_explorer": (lambda: plot_mask(), lambda: plot_mask(shift=2)),
    "relative_position_explorer": (lambda: plot_relative_position(query=24), lambda: plot_relative_position(query=10)),
    "receptive_field_explorer": (lambda: plot_receptive_field(2), lambda: plot_receptive_field(3)),
    "complexity_explorer": (lambda: plot_complexity(channels=96), lambda: plot_complexity(channels=48)),
}


def redraw(plot: Callable[[], Figure]) -> tuple[float, float]:
    """Wall and CPU seconds of one redraw: the figure and its PNG."""
    wall, cpu = time.perf_counter(), time.process_time()
    figure_png(plot())
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"{'explorer':<28} {'first (s)':>9} {'median wall (ms)':>17} {'median CPU (ms)':>16}  target < 200 ms")
    for name, settings in EXPLORERS.items():
        first = sum(redraw(plot)[0] for plot in settings)  # warm-up: fills every cache
        times = [redraw(settings[i % 2]) for i in range(args.repeats)]
        wall = statistics.median(t[0] for t in times) * 1000
        cpu = statistics.median(t[1] for t in times) * 1000
        print(f"{name:<28} {first:>9.2f} {wall:>17.0f} {cpu:>16.0f}  {'ok' if wall < 200 else 'SLOW'}")


if __name__ == "__main__":
    main()
