"""Experiments that show what each piece of Swin buys: ``python -m swin_edu.experiments NAME --out DIR``.

    shift       shifted windows against W-MSA only, on a task only cross-window communication solves
    mask        the shift mask: the leak across the image border without it, and what it does to accuracy
    bias        relative position bias against none and against an absolute position embedding
    small_data  Swin on the digits split against logistic regression, an RBF SVM and a small CNN

Each writes ``DIR/results.json``::

    {"experiment": NAME,
     "variants": {VARIANT: {"accuracy": mean over seeds, "per_seed": [...], "spread": max - min, ...}},
     "settings": {...}, "comparisons": ["a - b = +x%, larger than / within the spread over seeds"], ...}

and its figure ``DIR/NAME.png``. ``--quick`` is the setting that CI and notebook 11 run (minutes on two CPU
cores); without it, the full setting (more data, steps and seeds; ``--device cuda`` for a GPU). The quick results
are stored in the package, under ``swin_edu/experiments/results/NAME/``, written by the same command.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

import torch

EXPERIMENTS: tuple[str, ...] = ("shift", "mask", "bias", "small_data")
STORED = Path(__file__).parent / "results"
QUICK_SEEDS, FULL_SEEDS = 2, 5


def run_experiment(
    name: str, out: str | os.PathLike | None = None, quick: bool = True, seeds: int | None = None, device: str = "cpu"
) -> dict:
    """Run one experiment; with ``out``, write ``out/results.json`` and ``out/NAME.png``. Returns the results.

    Args:
        name: one of :data:`EXPERIMENTS`.
        out: a folder (created if missing), or None to write nothing.
        quick: the quick setting; False: the full one.
        seeds: how many seeds (0, 1, ...) each variant is trained with; None: 2 quick, 5 full.
        device: where models train, e.g. "cpu" or "cuda".
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    if seeds is not None and seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    module = importlib.import_module(f"swin_edu.experiments.{name}")
    start = time.perf_counter()
    results = module.run(quick=quick, seeds=seeds or (QUICK_SEEDS if quick else FULL_SEEDS), device=device)
    results.update(
        quick=quick, device=device, torch_threads=torch.get_num_threads(), seconds=time.perf_counter() - start
    )
    if out is not None:
        write_results(results, Path(out))
    return results


def write_results(results: dict, out: Path) -> None:
    """``out/results.json`` and the figure ``out/NAME.png``."""
    from swin_edu.viz.experiments import plot_results  # drawing only when something is written

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    figure = plot_results(results)
    figure.savefig(out / f"{results['experiment']}.png", dpi=100, bbox_inches="tight")


def describe(results: dict) -> str:
    """The results as lines of text: each variant's mean and per-seed accuracy and seconds, then the comparisons."""
    lines = []
    for variant, summary in results["variants"].items():
        seeds = ", ".join(f"{accuracy:.1%}" for accuracy in summary["per_seed"])
        lines.append(f"{variant:34s} {summary['accuracy']:6.1%}   seeds: {seeds}   ({summary['seconds']:.0f} s)")
    lines += results.get("comparisons", [])
    return "\n".join(lines)


def load_results(name: str, folder: str | os.PathLike | None = None) -> dict:
    """The results of an experiment: from ``folder/results.json``, or the stored quick results of the package."""
    path = Path(folder) / "results.json" if folder is not None else STORED / name / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results at {path}; run: python -m swin_edu.experiments {name} --quick --out DIR")
    return json.loads(path.read_text())
