"""Speed of swin_edu's Swin-T beside timm's and torchvision's, in one run, on whatever device is present.

    python benchmarks/bench_model.py                 # full run (CPU: a few minutes)
    python benchmarks/bench_model.py --rounds 3      # quicker

Part 1: batch 8 at 224 (fp32; on CUDA also bf16 autocast and torch.compile): forward images/s, and
forward + backward + AdamW step images/s. The three models are timed in turn within each round (interleaved, so
a noisy neighbour hurts all three alike), and the median over rounds is reported with the ratio to timm.
Part 2: swin_edu's two attention paths against each other (the fused ``scaled_dot_product_attention`` and the
explicit one), forward and training step: the measurement behind ``swin_edu.attention.fused_kernel_is_faster``.
Part 3: time of one forward pass (batch 1) at 224, 448 and 896 for Swin-T and for a global-attention ViT (timm
ViT-S/16), with the log-log slope of time against pixels: the paper says 1 for Swin (linear), up to 2 for
global attention (quadratic in tokens).

Every table also gives "ref (ms)": the wall time of a fixed pure-Python loop, taken in each round (median), how
fast the CPU runs for us at the time; on a machine shared with other jobs, compare runs only where it is about
the same.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import timm
import torch
import torchvision
from reference_loop import reference_ms  # benchmarks/, on the path when run as a script

import swin_edu
from swin_edu.complexity import explicit_attention


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def forward_step(model: torch.nn.Module, images: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        with torch.no_grad():
            model(images)

    return step


def train_step(model: torch.nn.Module, images: torch.Tensor) -> Callable[[], None]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
    labels = torch.randint(0, 1000, (images.shape[0],), device=images.device)

    def step() -> None:
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def autocast(device: torch.device, enabled: bool):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


REFERENCE = "ref (ms)"


def time_interleaved(
    steps: dict[str, Callable[[], None]], rounds: int, device: torch.device, bf16: bool
) -> dict[str, float]:
    """Median seconds per call of each step; each round runs every step once, in turn.

    The result also holds ``REFERENCE``: the median of :func:`reference_ms` taken once per round.
    """
    for step in steps.values():  # warm-up: allocations, compilation
        with autocast(device, bf16):
            step()
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    times[REFERENCE] = []
    for _ in range(rounds):
        times[REFERENCE].append(reference_ms())
        for name, step in steps.items():
            synchronize(device)
            start = time.perf_counter()
            with autocast(device, bf16):
                step()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def make_models(device: torch.device, compile_models: bool) -> dict[str, torch.nn.Module]:
    models = {
        "swin_edu": swin_edu.swin_t(),
        "timm": timm.create_model("swin_tiny_patch4_window7_224"),
        "torchvision": torchvision.models.swin_t(),
    }
    models = {name: model.to(device) for name, model in models.items()}
    if compile_models:
        models = {name: torch.compile(model) for name, model in models.items()}
    return models


def throughput_table(device: torch.device, batch: int, rounds: int, bf16: bool, compile_models: bool) -> None:
    precision = "bf16 autocast" if bf16 else "fp32"
    label = f"{device.type}, batch {batch}, 224x224, {precision}{', torch.compile' if compile_models else ''}"
    print(f"\n## Swin-T throughput ({label}), median of {rounds} interleaved rounds\n")
    print("| model | forward images/s | vs timm | train step images/s | vs timm |")
    print("|---|---|---|---|---|")
    images = torch.randn(batch, 3, 224, 224, device=device)
    models = make_models(device, compile_models)
    for model in models.values():
        model.eval()
    forward = time_interleaved({n: forward_step(m, images) for n, m in models.items()}, rounds, device, bf16)
    for model in models.values():
        model.train()
    train = time_interleaved({n: train_step(m, images) for n, m in models.items()}, rounds, device, bf16)
    for name in models:
        fwd, trn = batch / forward[name], batch / train[name]
        print(
            f"| {name} | {fwd:.1f} | {forward['timm'] / forward[name]:.2f}x | "
            f"{trn:.1f} | {train['timm'] / train[name]:.2f}x |"
        )
    print(f"\n{REFERENCE}: {forward[REFERENCE]:.1f} during the forward rounds, {train[REFERENCE]:.1f} during training")


@contextmanager
def fused_attention(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Within the block, swin_edu's ``WindowAttention`` takes the fused path wherever it may (training included)."""
    with mock.patch("swin_edu.attention.fused_kernel_is_faster", lambda x: True):
        yield model


def path_table(device: torch.device, batch: int, rounds: int) -> None:
    """swin_edu's Swin-T with each attention path forced: forward and training step, interleaved."""
    print(f"\n## swin_edu attention paths ({device.type}, batch {batch}, 224x224, fp32), median of {rounds} rounds\n")
    images = torch.randn(batch, 3, 224, 224, device=device)
    model = swin_edu.swin_t().to(device)
    paths = {
        "fused (scaled_dot_product_attention)": fused_attention,
        "explicit (q @ k^T, softmax, @ v)": explicit_attention,
    }

    def under(path, step: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            with path(model):
                step()

        return run

    model.eval()
    forward = time_interleaved(
        {n: under(p, forward_step(model, images)) for n, p in paths.items()}, rounds, device, False
    )
    model.train()
    train = time_interleaved({n: under(p, train_step(model, images)) for n, p in paths.items()}, rounds, device, False)
    default = "fused" if device.type != "cpu" else "fused for forward, explicit for training"
    print(f"| path | forward images/s | train step images/s |  (default here: {default})")
    print("|---|---|---|")
    for name in paths:
        print(f"| {name} | {batch / forward[name]:.1f} | {batch / train[name]:.1f} |")
    print(f"\n{REFERENCE}: {forward[REFERENCE]:.1f} during the forward rounds, {train[REFERENCE]:.1f} during training")


def resolution_table(device: torch.device, rounds: int) -> None:
    print(f"\n## Forward time against resolution ({device.type}, batch 1, fp32), median of {rounds} rounds\n")
    models = {
        "swin_edu Swin-T": swin_edu.swin_t(),
        "ViT-S/16 (global attention)": timm.create_model("vit_small_patch16_224", dynamic_img_size=True),
    }
    sizes = (224, 448, 896)
    seconds = {name: [] for name in models}
    for size in sizes:
        images = torch.randn(1, 3, size, size, device=device)
        steps = {name: forward_step(model.to(device).eval(), images) for name, model in models.items()}
        measured = time_interleaved(steps, rounds, device, bf16=False)
        for name in models:
            seconds[name].append(measured[name])
        print(f"{size}x{size}: {REFERENCE} {measured[REFERENCE]:.1f}")
    print("| model | " + " | ".join(f"{s}x{s} (ms)" for s in sizes) + " | log-log slope vs pixels |")
    print("|---|" + "---|" * (len(sizes) + 1))
    log_pixels = [math.log(s * s) for s in sizes]
    for name, values in seconds.items():
        slope = (math.log(values[-1]) - math.log(values[0])) / (log_pixels[-1] - log_pixels[0])
        print(f"| {name} | " + " | ".join(f"{1000 * v:.0f}" for v in values) + f" | {slope:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--skip-resolution", action="store_true")
    parser.add_argument("--skip-paths", action="store_true")
    parser.add_argument("--only-paths", action="store_true", help="only the fused / explicit comparison")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    print(
        f"torch {torch.__version__}, timm {timm.__version__}, torchvision {torchvision.__version__}, "
        f"device {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}, threads {torch.get_num_threads()}"
    )
    if not args.only_paths:
        throughput_table(device, args.batch, args.rounds, bf16=False, compile_models=False)
    if not args.skip_paths:
        path_table(device, args.batch, args.rounds)
    if args.only_paths:
        return
    if device.type == "cuda":
        throughput_table(device, args.batch * 8, args.rounds, bf16=True, compile_models=False)
        throughput_table(device, args.batch * 8, args.rounds, bf16=True, compile_models=True)
    if not args.skip_resolution:
        resolution_table(device, args.rounds)


if __name__ == "__main__":
    main()
