"""Distributed training: two CPU processes under torchrun (gloo) reach the same metrics as one process.

With per-image augmentation, Mixup/CutMix and stochastic depth switched off, the two processes together see
exactly the batches one process sees (DistributedSampler), and DDP averages their gradients, so the runs may
differ only by floating-point summation order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from tiny_runs import TINY, tiny_config

from swin_edu.train import train

TINY_FLAGS = [
    "--embed-dim",
    "12",
    "--depths",
    "1",
    "1",
    "--num-heads",
    "1",
    "2",
    "--patch-size",
    "4",
    "--drop-path",
    "0",
]
RECIPE_FLAGS = [
    "--epochs",
    "2",
    "--batch-size",
    "32",
    "--train-limit",
    "128",
    "--val-limit",
    "64",
    "--warmup-epochs",
    "1",
    "--no-augment",
    "--no-progress",
]


def test_two_processes_match_one_process_over_the_same_global_batch(tmp_path):
    out = tmp_path / "ddp"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "swin_edu.train",
        "--preset",
        "digits",
        "--out",
        str(out),
        *TINY_FLAGS,
        *RECIPE_FLAGS,
    ]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert finished.stdout.count("best validation accuracy") == 1  # only rank 0 reports
    distributed = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]

    model = {**TINY, "drop_path_rate": 0.0}  # the same model as TINY_FLAGS
    config = tiny_config(tmp_path / "single", epochs=2, augment=False, model=model)
    single = train(config)

    assert len(distributed) == len(single) == 2
    for two, one in zip(distributed, single):
        for key in ("train_loss", "val_loss"):
            assert two[key] == pytest.approx(one[key], rel=1e-4), key
        assert two["val_acc"] == pytest.approx(one["val_acc"], abs=1 / 64)  # at most one image decided otherwise
        assert two["lr"] == pytest.approx(one["lr"])
