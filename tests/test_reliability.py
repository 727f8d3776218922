"""Issue 14 against the command lines: every bad input is one line (what was expected, what came) and exit code 2;
nothing a user made is lost (existing runs, the best weights, a run stopped by Ctrl-C or by a diverging loss).

The kill -9 trials are in tests/test_checkpoint.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swin_edu import evaluate as evaluate_cli
from swin_edu import train as train_module
from swin_edu.checkpoint import load_checkpoint
from swin_edu.data import default_workers
from swin_edu.presets import data_spec, make_config
from swin_edu.recipe import NonFiniteLoss
from swin_edu.run_folder import RunFolder
from swin_edu.train import train

TINY = ["--embed-dim", "12", "--depths", "1", "1", "--num-heads", "1", "2", "--patch-size", "4"]
DIGITS = [
    "--preset",
    "digits",
    *TINY,
    "--train-limit",
    "64",
    "--val-limit",
    "32",
    "--batch-size",
    "32",
    "--no-progress",
]
# one epoch of a tiny Swin on the 224x224 image-folder preset: 14x14 patches of 16 pixels, windows of 7
FOLDER_RUN = (
    "--preset imagefolder --embed-dim 12 --depths 1 1 --num-heads 1 2 --patch-size 16 --window-size 7 "
    "--warmup-epochs 0 --epochs 1 --batch-size 2 --no-progress"
).split()


def run_cli(main, argv, capsys) -> tuple[int, str, str]:
    """Run a command line's ``main``; its exit code (0 when it returned), stdout and stderr."""
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def write_image_folder(root: Path, classes: list[str], per_class: int = 2) -> None:
    """``root/{train,val}/<class>/*.jpg``: small real JPEG files, a different colour per class."""
    for split in ("train", "val"):
        for index, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                pixels = np.full((40, 48, 3), 40 + 60 * index, dtype=np.uint8)
                pixels[:, : 8 + 4 * i] = 255 - 40 * index
                Image.fromarray(pixels).save(folder / f"{name}_{i}.jpg", quality=90)


@pytest.fixture
def digits_run(tmp_path, capsys):
    """A finished one-epoch digits run (tiny model) in tmp_path/run."""
    out = tmp_path / "run"
    code, _, err = run_cli(train_module.main, [*DIGITS, "--epochs", "1", "--out", str(out)], capsys)
    assert code == 0, err
    return out


# ------------------------------------------------------------------------------------------- flags checked


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (["--epochs", "0"], ["--epochs must be at least 1; got 0"]),
        (["--batch-size", "0"], ["--batch-size must be at least 1; got 0"]),
        (["--lr", "-0.1"], ["--lr must be above 0; got -0.1 per 1024 images", "-0.003125 at batch 32"]),
        (["--drop-path", "1.0"], ["--drop-path must be in [0, 1)", "got 1.0"]),
        (["--clip-grad", "-1"], ["--clip-grad must be", "got -1.0"]),
        (["--train-limit", "0"], ["--train-limit must be at least 1 image; got 0"]),
        (["--val-limit", "-3"], ["--val-limit must be at least 1 image; got -3"]),
        (["--warmup-epochs", "5", "--epochs", "2"], ["--warmup-epochs must be between 0 and --epochs (2); got 5"]),
        (["--label-smoothing", "1"], ["--label-smoothing must be in [0, 1); got 1.0"]),
        (["--randaugment", "11"], ["--randaugment must be a magnitude from 0 (off) to 10; got 11"]),
        (["--erasing", "1.5"], ["--erasing must be a probability in [0, 1]; got 1.5"]),
        (["--mixup", "-1"], ["--mixup must be 0 (off) or more; got -1.0"]),
        (["--weight-decay", "-0.05"], ["--weight-decay must be 0 or more; got -0.05"]),
        (["--min-lr", "-1"], ["--min-lr must be 0 or more; got -1.0"]),
        (["--workers", "-1"], ["--workers must be 0 or more; got -1"]),
        (["--num-heads", "5", "5"], ["12 channels cannot be split into 5 heads"]),
        (["--window-size", "0"], ["--window-size must be at least 1; got 0"]),
        (["--embed-dim", "0"], ["--embed-dim must be at least 1; got 0"]),
        (["--depths", "0", "1"], ["--depths must be at least 1 per stage; got [0, 1]"]),
        (["--patch-size", "64"], ["--patch-size must be at most the digits images' 32 pixels; got 64"]),
        (["--data", "/somewhere"], ["--data is not used by the digits preset", "got '/somewhere'"]),
        (["--device", "tpu"], ["--device must be cpu, cuda or cuda:N; got 'tpu'"]),
        (["--device", "cuda:banana"], ["--device must be cpu, cuda or cuda:N; got 'cuda:banana'"]),
        (["--batch-size", "128"], ["--batch-size must be at most the 64 training images"]),
    ],
)
def test_every_flag_out_of_range_is_one_line_and_exit_code_2(tmp_path, capsys, flags, fragments):
    out = tmp_path / "run"
    code, _, err = run_cli(train_module.main, [*DIGITS, "--epochs", "1", "--out", str(out), *flags], capsys)
    assert_one_line_error(code, err, *fragments)
    assert not (out / "last.pt").exists()


def test_cuda_without_a_gpu_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, _, err = run_cli(train_module.main, [*DIGITS, "--out", str(tmp_path), "--device", "cuda"], capsys)
    assert_one_line_error(code, err, "--device cuda: this machine has no CUDA GPU", "use --device cpu")
    code, _, err = run_cli(evaluate_cli.main, [str(tmp_path / "best.pt"), "--device", "cuda"], capsys)
    assert_one_line_error(code, err, "--device cuda: this machine has no CUDA GPU")


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run_cli(train_module.main, [*DIGITS, "--out", str(tmp_path / "notes.txt")], capsys)
    assert_one_line_error(code, err, "--out", "notes.txt' is a file")
    code, _, err = run_cli(train_module.main, [*DIGITS, "--out", str(tmp_path / "notes.txt" / "run")], capsys)
    assert_one_line_error(code, err, "Not a directory", "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------------------- runs never lost


def test_a_new_run_refuses_a_folder_that_holds_one(digits_run, capsys):
    before = {name: (digits_run / name).read_bytes() for name in ("best.pt", "last.pt", "metrics.jsonl")}
    code, _, err = run_cli(
        train_module.main, [*DIGITS, "--epochs", "1", "--lr", "0.5", "--out", str(digits_run)], capsys
    )
    assert_one_line_error(code, err, "already holds a run", f"--resume {digits_run / 'last.pt'}", "--out NEW_FOLDER")
    assert before == {name: (digits_run / name).read_bytes() for name in before}


def test_a_second_run_into_a_locked_folder_is_told_who_holds_it(tmp_path, capsys):
    with RunFolder(tmp_path / "run"):
        code, _, err = run_cli(train_module.main, [*DIGITS, "--out", str(tmp_path / "run")], capsys)
    assert_one_line_error(code, err, f"is in use by process {os.getpid()} on", "--out NEW_FOLDER")


def test_a_non_finite_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    calls = []

    def diverging(logits, targets, label_smoothing):
        calls.append(1)
        loss = torch.nn.functional.cross_entropy(logits.float(), targets, label_smoothing=label_smoothing)
        return loss * float("nan") if len(calls) > 2 else loss  # 2 steps per epoch: epoch 2 diverges

    monkeypatch.setattr(train_module, "training_loss", diverging)
    config = make_config(
        "digits",
        out=str(tmp_path),
        epochs=3,
        batch_size=32,
        train_limit=64,
        val_limit=32,
        progress=False,
        model={"embed_dim": 12, "depths": [1, 1], "num_heads": [1, 2], "patch_size": 4},
    )
    with pytest.raises(NonFiniteLoss, match=r"became nan .* in epoch 2, so the run stopped; .*last.pt keeps epoch 1"):
        train(config)
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 1 and load_checkpoint(tmp_path / "best.pt")["epoch"] == 1
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()

    def refuse(constant):
        raise AssertionError(f"{constant} in metrics.jsonl")

    assert [json.loads(line, parse_constant=refuse)["epoch"] for line in lines] == [1]


def test_ctrl_c_ends_with_how_to_resume_and_no_traceback(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "swin_edu.train", *DIGITS, "--epochs", "200", "--out", str(out)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    deadline = time.monotonic() + 120
    while not (out / "last.pt").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and f"--resume {out / 'last.pt'}" in err
    assert load_checkpoint(out / "last.pt")["epoch"] >= 1


# ------------------------------------------------------------------------------------ inputs checked


def test_resume_or_evaluate_of_a_file_that_is_not_a_checkpoint(tmp_path, capsys):
    cases = {"empty.pt": b"", "notes.pt": b"just some text\n", "cut.pt": b"PK\x03\x04" + b"\x00" * 20}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        for main, argv in (
            (train_module.main, ["--resume", str(tmp_path / name)]),
            (evaluate_cli.main, [str(tmp_path / name)]),
        ):
            code, _, err = run_cli(main, argv, capsys)
            assert_one_line_error(code, err, name)
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    code, _, err = run_cli(evaluate_cli.main, [str(tmp_path / "other.pt")], capsys)
    assert_one_line_error(code, err, "is not a swin_edu training checkpoint: it lacks model")


def test_resume_extends_a_finished_run_and_refuses_fewer_epochs(digits_run, capsys):
    code, out, _ = run_cli(train_module.main, ["--resume", str(digits_run / "last.pt"), "--no-progress"], capsys)
    assert code == 0 and "already finished its 1 epochs" in out and "--epochs N" in out
    code, _, err = run_cli(train_module.main, ["--resume", str(digits_run / "last.pt"), "--epochs", "0"], capsys)
    assert_one_line_error(code, err, "--epochs must be at least 1")
    code, _, err = run_cli(
        train_module.main, ["--resume", str(digits_run / "last.pt"), "--epochs", "2", "--no-progress"], capsys
    )
    assert code == 0, err
    assert load_checkpoint(digits_run / "last.pt")["epoch"] == 2


def test_class_names_or_counts_that_differ_from_the_checkpoint_are_refused(tmp_path, capsys):
    write_image_folder(tmp_path / "pets", ["cat", "dog"])
    out = tmp_path / "run"
    code, _, err = run_cli(
        train_module.main, [*FOLDER_RUN, "--data", str(tmp_path / "pets"), "--workers", "0", "--out", str(out)], capsys
    )
    assert code == 0, err
    write_image_folder(tmp_path / "renamed", ["cat", "fox"])
    write_image_folder(tmp_path / "more", ["cat", "dog", "fox"])
    for folder, fragment in (
        ("renamed", "label 1: expected 'dog', found 'fox'"),
        ("more", "trained on 2 classes but the data"),
    ):
        data = str(tmp_path / folder)
        code, _, err = run_cli(
            train_module.main,
            ["--resume", str(out / "last.pt"), "--epochs", "2", "--data", data, "--no-progress"],
            capsys,
        )
        assert_one_line_error(code, err, fragment)
        code, _, err = run_cli(evaluate_cli.main, [str(out / "best.pt"), "--data", data], capsys)
        assert_one_line_error(code, err, fragment)
    assert load_checkpoint(out / "last.pt")["epoch"] == 1


def test_a_truncated_jpeg_is_named_and_can_be_skipped_counted_and_reported(tmp_path, capsys):
    write_image_folder(tmp_path / "pets", ["cat", "dog"])
    broken = tmp_path / "pets" / "train" / "dog" / "dog_1.jpg"
    broken.write_bytes(broken.read_bytes()[:300])
    common = [*FOLDER_RUN, "--data", str(tmp_path / "pets")]
    code, _, err = run_cli(train_module.main, [*common, "--workers", "0", "--out", str(tmp_path / "a")], capsys)
    assert_one_line_error(code, err, f"cannot read image '{broken}'", "--skip-unreadable")
    code, _, err = run_cli(train_module.main, [*common, "--workers", "1", "--out", str(tmp_path / "b")], capsys)
    assert_one_line_error(code, err, f"cannot read image '{broken}'")  # raised in a loader process
    code, _, err = run_cli(
        train_module.main, [*common, "--workers", "0", "--skip-unreadable", "--out", str(tmp_path / "c")], capsys
    )
    assert code == 0, err
    assert f"skipped unreadable image '{broken}'" in err and "epoch 1: 1 unreadable images skipped" in err
    record = json.loads((tmp_path / "c" / "metrics.jsonl").read_text())
    assert record["skipped"] == 1


# ---------------------------------------------------------------------------------------------- evaluate


def test_evaluate_creates_a_missing_figure_folder_and_prints_the_accuracy(digits_run, capsys):
    figure = digits_run.parent / "figures" / "new" / "confusion.png"
    code, out, err = run_cli(evaluate_cli.main, [str(digits_run / "best.pt"), "--figure", str(figure)], capsys)
    assert code == 0, err
    assert "accuracy" in out and "on 360 validation images" in out and figure.stat().st_size > 0
    code, _, err = run_cli(evaluate_cli.main, [str(digits_run / "best.pt"), "--figure", str(digits_run)], capsys)
    assert_one_line_error(code, err, "--figure", "is a folder")


def test_evaluate_never_suggests_a_flag_it_does_not_have(digits_run, capsys, tmp_path):
    checkpoint = load_checkpoint(digits_run / "best.pt")
    checkpoint["config"] = {**checkpoint["config"], "preset": "cifar10", "data": str(tmp_path / "nowhere")}
    torch.save(checkpoint, tmp_path / "cifar.pt")
    code, _, err = run_cli(evaluate_cli.main, [str(tmp_path / "cifar.pt")], capsys)
    assert code == 2 and "cifar-10-batches-py" in err
    assert "leave out --no-download" not in err and "Traceback" not in err


def test_loader_workers_follow_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert default_workers(data_spec("imagefolder")) == 2  # was a fixed 4 in evaluate
    assert default_workers(data_spec("digits")) == 0  # in memory: worker processes would only cost time
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert default_workers(data_spec("cifar10")) == 8


def test_evaluate_checks_its_flags(digits_run, capsys):
    for flags, fragment in (
        (["--batch-size", "0"], "--batch-size must be at least 1; got 0"),
        (["--workers", "-2"], "--workers must be 0 or more; got -2"),
        (["--device", "gpu"], "--device must be cpu, cuda or cuda:N; got 'gpu'"),
    ):
        code, _, err = run_cli(evaluate_cli.main, [str(digits_run / "best.pt"), *flags], capsys)
        assert_one_line_error(code, err, fragment)
    shutil.rmtree(digits_run)
    code, _, err = run_cli(evaluate_cli.main, [str(digits_run / "best.pt")], capsys)
    assert_one_line_error(code, err, "no checkpoint at")
