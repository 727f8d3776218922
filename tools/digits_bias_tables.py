"""Write the trained relative-position bias tables the relative-position explorer offers beside fresh ones.

    python tools/digits_bias_tables.py [--run DIR]

Trains the ``digits`` preset (``python -m swin_edu.train --preset digits``: scikit-learn's handwritten digits,
shipped with it, no download; a 1.3M-parameter Swin with window M = 4, heads 3 / 6 / 12; a few minutes on two
cores) unless ``--run`` names a finished run, then stores every block's ``relative_position_bias_table``
(``(2M-1)^2, heads)``, 49 x heads here) with the run's validation accuracy in
``swin_edu/widgets/digits_bias_tables.pt`` (about 20 KB). What it is: the tables of a small Swin trained on 32x32
digits, not of an ImageNet model (no pretrained weights can be downloaded here).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from swin_edu.checkpoint import load_checkpoint, model_from_state

OUT = Path(__file__).resolve().parent.parent / "swin_edu" / "widgets" / "digits_bias_tables.pt"


def bias_tables(checkpoint: dict) -> dict[str, torch.Tensor]:
    """``"layers.S.blocks.B"`` -> that block's bias table ``((2M-1)^2, heads)``, from a training checkpoint."""
    model = model_from_state(checkpoint)
    return {
        f"layers.{stage}.blocks.{block}": model.layers[stage]
        .blocks[block]
        .attn.relative_position_bias_table.detach()
        .clone()
        for stage, block in model.config.block_positions()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a finished digits run folder (with best.pt); trains one when absent")
    args = parser.parse_args()
    run = args.run
    if run is None:
        run = Path(tempfile.mkdtemp()) / "digits"
        subprocess.run(
            [sys.executable, "-m", "swin_edu.train", "--preset", "digits", "--out", str(run), "--no-progress"],
            check=True,
        )
    checkpoint = load_checkpoint(run / "best.pt")
    history = checkpoint.get("history") or []
    accuracy = max((row.get("val_acc", 0.0) for row in history), default=float("nan"))
    tables = bias_tables(checkpoint)
    torch.save(
        {
            "tables": tables,
            "window_size": checkpoint["config"]["model"]["window_size"] if "config" in checkpoint else 4,
            "val_accuracy": accuracy,
            "made_by": "tools/digits_bias_tables.py (the digits preset)",
        },
        OUT,
    )
    print(f"{OUT}: {len(tables)} tables, validation accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
