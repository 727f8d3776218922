"""How long each explorer takes to redraw after a student moves one control.

    python benchmarks/bench_explorers.py [--repeats 9] [--only mask_explorer ...]

Target (issue 3): every redraw under 200 ms on the course's 2-core CPU; we aim for under 120 ms of CPU time.

A redraw is what the live widget does when a control changes: the explorer's readout, a brand-new figure from
``swin_edu.viz`` and its PNG for the ``ipywidgets.Image``. Each explorer is driven through its real controls
(``swin_edu.widgets``), cycling through a few settings so that every timed redraw draws a different figure.

The warm-up visits every setting once and is reported separately ("first"): it pays for imports, the photo, and
the package values the explorers remember (measured FLOPs and times, the gradients of the effective field).
After it, the median wall time and the median CPU time of this process (``time.process_time``) are printed.
CPU time is the figure to judge by when other jobs share the machine; wall time shows what a student waits.

Other jobs slow even the CPU time down (a shared core runs slower): the "ref" column is the median CPU time of a
fixed pure-Python loop run between the redraws. Compare two runs only where their "ref" is alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("MPLBACKEND", "Agg")

from swin_edu import widgets

TARGET_MS = 200.0
AIM_MS = 120.0

# per explorer: settings a student steps through (in a cycle, each differs from the one before, the first from
# the explorer's default)
SETTINGS: dict[str, tuple[Callable[[], widgets.Explorer], list[dict]]] = {
    "window_explorer": (widgets.window_explorer, [{"stage": 2}, {"window_size": 4}, {"stage": 1}, {"window_size": 7}]),
    "shift_explorer": (widgets.shift_explorer, [{"shift": 1}, {"shift": 3}, {"shift": 0}, {"shift": 2}]),
    "mask_explorer": (widgets.mask_explorer, [{"shift": 2}, {"window": 1}, {"shift": 1}, {"window": 0}, {"shift": 3}]),
    "relative_position_explorer": (widgets.relative_position_explorer, [{"query": 10}, {"query": 0}, {"query": 48}, {"query": 24}]),
    "receptive_field_explorer": (
        widgets.receptive_field_explorer,
        [{"block_number": 3}, {"block_number": 4}, {"mode": "wmsa"}, {"block_number": 2}, {"mode": "swin"}],
    ),
    "complexity_explorer": (widgets.complexity_explorer, [{"channels": 48}, {"channels": 96}]),
}


def reference_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop: how fast this CPU runs for us right now."""
    start = time.process_time()
    total = 0
    for i in range(200_000):
        total += i
    return (time.process_time() - start) * 1000


def change(explorer: widgets.Explorer, setting: dict) -> tuple[float, float]:
    """Wall and CPU seconds of one control change: the explorer redraws (readout, figure, PNG)."""
    before = explorer.redraws
    wall, cpu = time.perf_counter(), time.process_time()
    for name, value in setting.items():
        explorer.controls[name].value = value
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if explorer.message or explorer.redraws == before:
        raise RuntimeError(f"setting {setting} did not redraw: {explorer.message or 'value unchanged'}")
    return wall, cpu


def bench(make: Callable[[], widgets.Explorer], settings: list[dict], repeats: int) -> dict[str, float]:
    """Seconds of warm-up (building the explorer, every setting once); median wall and CPU ms of a redraw; ref."""
    start = time.perf_counter()
    explorer = make()
    for setting in settings:
        change(explorer, setting)
    first = time.perf_counter() - start
    times, references = [], []
    for i in range(repeats):
        references.append(reference_ms())
        times.append(change(explorer, settings[i % len(settings)]))
    return {
        "first": first,
        "wall": statistics.median(t[0] for t in times) * 1000,
        "cpu": statistics.median(t[1] for t in times) * 1000,
        "ref": statistics.median(references),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed redraws per explorer (at least 7)")
    parser.add_argument("--only", nargs="*", choices=list(SETTINGS), help="benchmark only these explorers")
    args = parser.parse_args()
    print(f"median of {args.repeats} redraws; target < {TARGET_MS:.0f} ms per redraw (aim < {AIM_MS:.0f} ms CPU)")
    print(f"{'explorer':<28} {'first (s)':>9} {'wall (ms)':>10} {'CPU (ms)':>9} {'ref (ms)':>9}")
    for name, (make, settings) in SETTINGS.items():
        if args.only and name not in args.only:
            continue
        result = bench(make, settings, args.repeats)
        verdict = "ok" if result["cpu"] < TARGET_MS else "SLOW"
        print(
            f"{name:<28} {result['first']:>9.2f} {result['wall']:>10.0f} {result['cpu']:>9.0f} {result['ref']:>9.1f}  {verdict}",
            flush=True,
        )


if __name__ == "__main__":
    main()
