"""A fixed pure-Python loop, timed: how fast the (shared) CPU runs for us right now, a column beside benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable


def reference_ms(clock: Callable[[], float] = time.perf_counter) -> float:
    """Milliseconds of 200,000 additions in a Python loop.

    With the default wall clock, other jobs sharing the CPU make it grow; with ``time.process_time`` (CPU time)
    only a slower CPU does.
    """
    start = clock()
    total = 0
    for i in range(200_000):
        total += i
    return (clock() - start) * 1000
