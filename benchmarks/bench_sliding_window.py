"""Naive sliding-window attention against Swin's shifted windows, side by side in one run (paper Table 5).

    python benchmarks/bench_sliding_window.py                  # stage 1 of Swin-T: 56x56, C = 96, M = 7, 3 heads
    python benchmarks/bench_sliding_window.py --batch 8 --rounds 30 --device cuda

Both attentions use the same weights (one ``WindowAttention``): shifted windows run as in a Swin block
(roll, partition, mask, attend, merge, roll back; ``SwinBlock.window_attention``); sliding windows copy each
query's M x M neighbourhood of keys and values out with ``F.unfold`` (``swin_edu.sliding_window``). Reported:
the median time of a forward pass over interleaved rounds, the peak memory the call adds (CPU: the peak resident
set size, reset before each call through /proc/self/clear_refs, Linux only, with glibc's mmap threshold fixed at
128 KiB so that every large tensor is mapped on allocation and unmapped when freed; CUDA: ``max_memory_allocated``),
and both as ratios sliding / shifted. Regular windows (W-MSA, no shift) are timed too, for scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from swin_edu.blocks import SwinBlock
from swin_edu.sliding_window import sliding_window_attention


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def resident_bytes(field: str) -> int:
    """``VmHWM`` (peak) or ``VmRSS`` (current) of this process, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_added_bytes(step: Callable[[], None], device: torch.device) -> int:
    """How much memory one call of ``step`` needs above what was already held."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident set size to the current one
    before = resident_bytes("VmRSS")
    step()
    return resident_bytes("VmHWM") - before


def time_interleaved(steps: dict[str, Callable[[], None]], rounds: int, device: torch.device) -> dict[str, float]:
    """Median seconds per call of each step; every round runs each step once, in turn."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            synchronize(device)
            start = time.perf_counter()
            step()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    if sys.platform == "linux" and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        # glibc raises its mmap threshold after large frees and then keeps freed memory: RSS would miss allocations
        os.environ["MALLOC_MMAP_THRESHOLD_"] = str(128 * 1024)
        os.execv(sys.executable, [sys.executable, *sys.argv])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=56, help="feature map side in tokens (stage 1 at 224: 56)")
    parser.add_argument("--channels", type=int, default=96)
    parser.add_argument("--heads", type=int, default=3)
    parser.add_argument("--window", type=int, default=7, help="M (odd: a sliding window needs a centre)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)

    shifted = SwinBlock(args.channels, args.heads, args.window, shift_size=args.window // 2).to(device).eval()
    regular = SwinBlock(args.channels, args.heads, args.window, shift_size=0).to(device).eval()
    regular.attn.load_state_dict(shifted.attn.state_dict())
    x = torch.randn(args.batch, args.side, args.side, args.channels, device=device)

    def forward(fn: Callable[[], torch.Tensor]) -> Callable[[], None]:
        def step() -> None:
            with torch.no_grad():
                fn()

        return step

    steps = {
        "shifted windows": forward(lambda: shifted.window_attention(x)),
        "sliding windows": forward(lambda: sliding_window_attention(x, shifted.attn)),
        "regular windows": forward(lambda: regular.window_attention(x)),
    }
    for step in steps.values():  # warm-up: allocations, the cached shift mask
        step()
    memory = {name: peak_added_bytes(step, device) for name, step in steps.items()}
    seconds = time_interleaved(steps, args.rounds, device)

    threads = torch.get_num_threads()
    print(
        f"{args.side}x{args.side} map, C = {args.channels}, {args.heads} heads, M = {args.window}, batch {args.batch}, "
        f"{device.type}{'' if device.type == 'cuda' else f' ({threads} threads)'}, median of {args.rounds} rounds"
    )
    base = "shifted windows"
    print(f"{'attention':18s} {'time (ms)':>10s} {'x shifted':>10s} {'peak MB':>9s} {'x shifted':>10s}")
    for name in steps:
        print(
            f"{name:18s} {1e3 * seconds[name]:10.2f} {seconds[name] / seconds[base]:10.2f} "
            f"{memory[name] / 1e6:9.1f} {memory[name] / max(memory[base], 1):10.2f}"
        )
    with torch.no_grad():
        agree = (sliding_window_attention(x, shifted.attn) - shifted.window_attention(x)).abs().max().item()
    print(f"(different attentions, so different outputs: max |sliding - shifted| = {agree:.3f})")


if __name__ == "__main__":
    main()
