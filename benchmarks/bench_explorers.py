"""How long each explorer takes to redraw while a student drags its controls, over every control's full range.

    python benchmarks/bench_explorers.py [--only mask_explorer ...] [--stride 1]

Target (issue 13): 20 frames per second on the course's 2-core CPU, idle: a redraw (readout, figure, PNG) of at
most 50 ms median and at most 150 ms at any setting of any control.

Each explorer is built with its defaults, then every control is swept through its whole range, value after
value, as a drag does (sliders from min to max by their step, every option of a list or toggle, both states of a
check box); the controls go back to the defaults between sweeps (not timed). The sweeps run inside an asyncio
event loop, as the controls of a running kernel do, so an explorer that defers slow work until the controls
rest (the receptive field's gradient) defers it here too; "rest" is the redraw after a sweep, at rest.

Printed per explorer: the seconds to build it ("build", which pays for imports, the photo and what the explorer
tabulates once), the number of timed redraws and of refused settings, the median and worst wall time of a
redraw, the median and worst CPU time of this process (``time.process_time``), the "rest" redraw, and "ref": the median
CPU milliseconds of a fixed pure-Python loop run between redraws, about 4-6 ms on an idle core here, and "load":
the machine's one-minute load average after the sweep (2.0 = both cores busy). Other jobs slow the wall times
far more than the CPU times: compare two runs only where "ref" and "load" are alike, and say what ran beside.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("MPLBACKEND", "Agg")

from reference_loop import reference_ms  # benchmarks/, on the path when run as a script

from swin_edu import widgets
from swin_edu.widgets.controls import offered

TARGET_MEDIAN_MS = 50.0
TARGET_WORST_MS = 150.0
EXPLORERS = widgets.EXPLORERS


def change(explorer: widgets.Explorer, name: str, value) -> tuple[float, float, bool] | None:
    """Wall and CPU seconds of one control change and whether it was refused; None if nothing changed."""
    control = explorer.controls[name]
    if control.value == value:
        return None
    before = explorer.redraws
    wall, cpu = time.perf_counter(), time.process_time()
    control.value = value
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if explorer.redraws == before and not explorer.message:
        return None
    return wall, cpu, bool(explorer.message)


async def sweep(make: Callable[[], widgets.Explorer], stride: int) -> dict[str, float]:
    """Build an explorer, drag every control over its range; times of the redraws, the rest redraw and ref."""
    start = time.perf_counter()
    explorer = make()
    build = time.perf_counter() - start
    defaults = explorer.values()
    times, refused, references, rests = [], 0, [], []
    for name, control in explorer.controls.items():
        if control.disabled:
            continue
        for value in offered(control)[::stride]:
            references.append(reference_ms(time.process_time))
            result = change(explorer, name, value)
            if result is not None:
                times.append(result[:2])
                refused += result[2]
        await asyncio.sleep(0)  # let nothing else run: the drag goes on
        explorer.resting = True
        start = time.perf_counter()
        explorer.redraw()  # what the explorer shows once the slider is let go
        rests.append(time.perf_counter() - start)
        for default_name, value in defaults.items():  # back to the defaults, not timed
            explorer.controls[default_name].value = value
    walls = [t[0] * 1000 for t in times]
    return {
        "build": build,
        "redraws": len(times),
        "refused": refused,
        "median": statistics.median(walls),
        "worst": max(walls),
        "cpu": statistics.median(t[1] * 1000 for t in times),
        "worst_cpu": max(t[1] * 1000 for t in times),
        "rest": max(rests) * 1000,
        "ref": statistics.median(references),
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(EXPLORERS), help="benchmark only these explorers")
    parser.add_argument("--stride", type=int, default=1, help="visit every n-th value of each range (1: all)")
    args = parser.parse_args()
    target = f"median <= {TARGET_MEDIAN_MS:.0f} ms, worst <= {TARGET_WORST_MS:.0f} ms"
    print(f"every control over its full range; target: {target}")
    print(
        f"{'explorer':<28} {'build (s)':>9} {'redraws':>8} {'refused':>8} {'median (ms)':>12} {'worst (ms)':>11}"
        f" {'CPU (ms)':>9} {'worst CPU':>9} {'rest (ms)':>10} {'ref (ms)':>9} {'load':>5}"
    )
    for name, make in EXPLORERS.items():
        if args.only and name not in args.only:
            continue
        r = asyncio.run(sweep(make, args.stride))
        verdict = "ok" if r["median"] <= TARGET_MEDIAN_MS and r["worst"] <= TARGET_WORST_MS else "SLOW"
        print(
            f"{name:<28} {r['build']:>9.2f} {r['redraws']:>8} {r['refused']:>8} {r['median']:>12.0f}"
            f" {r['worst']:>11.0f} {r['cpu']:>9.0f} {r['worst_cpu']:>9.0f} {r['rest']:>10.0f}"
            f" {r['ref']:>9.1f} {r['load']:>5.1f}  {verdict}",
            flush=True,
        )


if __name__ == "__main__":
    main()
