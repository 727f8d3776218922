"""``python -m swin_edu.experiments NAME --out DIR [--quick] [--seeds K] [--device cuda] [--threads T]``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch

from swin_edu.experiments import EXPERIMENTS, describe, run_experiment


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m swin_edu.experiments", description=__doc__)
    parser.add_argument("name", choices=EXPERIMENTS)
    parser.add_argument("--out", required=True, help="folder for results.json and the figure")
    parser.add_argument("--quick", action="store_true", help="the quick setting (minutes on two CPU cores)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per variant (default: 2 quick, 5 full)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    results = run_experiment(args.name, args.out, quick=args.quick, seeds=args.seeds, device=args.device)
    print(describe(results))
    print(f"{results['seconds']:.0f} s with {results['torch_threads']} threads; written to {args.out}")


if __name__ == "__main__":
    main()
