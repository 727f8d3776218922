"""Training: the recipe's parts, exact resumption, checkpoints, bf16 autocast on the CPU, the command lines."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import torch
from tiny_runs import tiny_config

from swin_edu import evaluate as evaluate_cli
from swin_edu import train as train_cli
from swin_edu.checkpoint import load_checkpoint, model_from_checkpoint, resume_config
from swin_edu.experiments.ablations import add_absolute_position
from swin_edu.model import swin_t
from swin_edu.presets import make_config
from swin_edu.recipe import build_scheduler, parameter_groups, scaled_lr
from swin_edu.train import train

COMPARED = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr")


class Interrupted(Exception):
    pass


def interrupt_after(epochs: int):
    def callback(history):
        if len(history) == epochs:
            raise Interrupted

    return callback


def test_no_weight_decay_on_norms_biases_and_bias_tables():
    model = swin_t(num_classes=10)
    decay, no_decay = parameter_groups(model, 0.05)
    names = {id(p): name for name, p in model.named_parameters()}
    skipped = {names[id(p)] for p in no_decay["params"]}
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert "layers.0.blocks.0.attn.relative_position_bias_table" in skipped
    assert "layers.0.blocks.0.norm1.weight" in skipped and "head.bias" in skipped
    assert all(p.ndim >= 2 and "bias_table" not in names[id(p)] for p in decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_linear_scaling_rule():
    assert scaled_lr(1e-3, 1024) == 1e-3
    assert scaled_lr(1e-3, 128) == pytest.approx(1.25e-4)


def test_schedule_warms_up_linearly_then_decays_by_cosine_to_the_minimum():
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([parameter], lr=1.0)
    scheduler = build_scheduler(optimizer, warmup_steps=10, total_steps=50, min_lr=0.01)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(50):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs[0] == pytest.approx(1e-3)
    assert lrs[5] == pytest.approx(0.5, abs=1e-3)  # halfway up the warm-up
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[30] == pytest.approx(0.01 + 0.99 * 0.5)  # halfway down the cosine
    assert lrs[50] == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))


def test_resume_continues_exactly(tmp_path):
    uninterrupted = train(tiny_config(tmp_path / "whole"))
    with pytest.raises(Interrupted):
        train(tiny_config(tmp_path / "split"), callbacks=[interrupt_after(2)])
    checkpoint = tmp_path / "split" / "last.pt"
    assert load_checkpoint(checkpoint)["epoch"] == 2
    resumed = train(resume_config(checkpoint), resume=checkpoint)
    assert [[r[k] for k in COMPARED] for r in resumed] == [[r[k] for k in COMPARED] for r in uninterrupted]
    lines = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3, 4]
    assert set(json.loads(lines[0])) >= {"epoch", "train_loss", "val_loss", "val_acc", "lr", "images_per_s", "seconds"}


def test_resume_with_more_epochs_extends_the_run_along_the_longer_schedule(tmp_path):
    short = train(tiny_config(tmp_path / "short", epochs=2))
    checkpoint = tmp_path / "short" / "last.pt"
    extended = train(resume_config(checkpoint, epochs=4), resume=checkpoint)
    whole = train(tiny_config(tmp_path / "whole", epochs=4))
    assert [[r[k] for k in COMPARED] for r in extended[:2]] == [[r[k] for k in COMPARED] for r in short]
    assert load_checkpoint(checkpoint)["config"]["epochs"] == 4 and len(extended) == 4
    # from the extension on, the learning rate is the 4-epoch schedule's (a function of the step alone): at the end
    # of epoch 3, step 12 of 16 (4 steps of warm-up), peak 0.064 * 32 / 1024, minimum 6.4e-4 * 32 / 1024
    peak, low = 0.064 * 32 / 1024, 6.4e-4 * 32 / 1024
    assert extended[2]["lr"] == pytest.approx(low + (peak - low) * 0.5 * (1 + math.cos(math.pi * 8 / 12)))
    assert [r["lr"] for r in extended[2:]] == pytest.approx([r["lr"] for r in whole[2:]])
    assert short[-1]["lr"] == pytest.approx(low)  # the 2-epoch run had ended at its minimum


def test_checkpoints_load_with_weights_only_and_give_the_trained_model_back(tmp_path):
    config = tiny_config(tmp_path, epochs=2)
    state = torch.random.get_rng_state()
    history = train(config)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's random state is left as it was
    for name in ("last.pt", "best.pt"):
        checkpoint = torch.load(tmp_path / name, weights_only=True)
        assert checkpoint["config"]["model"]["embed_dim"] == 12 and checkpoint["epoch"] >= 1
    assert not list(tmp_path.glob("*.tmp"))
    model = model_from_checkpoint(tmp_path / "last.pt")
    assert model.classes == [str(d) for d in range(10)] and not model.training
    best = max(history, key=lambda record: record["val_acc"])
    assert load_checkpoint(tmp_path / "best.pt")["history"][-1]["val_acc"] == best["val_acc"]


def test_a_failed_run_leaves_the_last_good_checkpoint(tmp_path):
    with pytest.raises(Interrupted):
        train(tiny_config(tmp_path), callbacks=[interrupt_after(1)])
    checkpoint = load_checkpoint(tmp_path / "last.pt")
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]) == 1


def test_truncated_checkpoint_gives_a_clear_error_on_resume(tmp_path):
    with pytest.raises(Interrupted):
        train(tiny_config(tmp_path), callbacks=[interrupt_after(1)])
    path = tmp_path / "last.pt"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match="last.pt.* is damaged, truncated or not a checkpoint"):
        resume_config(path)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        resume_config(tmp_path / "missing.pt")
    torch.save({"model": {}}, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="not a swin_edu training checkpoint"):
        resume_config(tmp_path / "foreign.pt")


def test_resume_refuses_another_recipe(tmp_path):
    config = tiny_config(tmp_path)
    with pytest.raises(Interrupted):
        train(config, callbacks=[interrupt_after(1)])
    with pytest.raises(ValueError, match="lr: 0.064 -> 0.5"):
        train(replace(config, lr=0.5), resume=tmp_path / "last.pt")
    with pytest.raises(ValueError, match="only .* may change"):
        resume_config(tmp_path / "last.pt", lr=0.5)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_autocast_runs_on_the_cpu(tmp_path, precision):
    history = train(tiny_config(tmp_path, epochs=1, precision=precision, mixup=0.8, cutmix=1.0))
    assert torch.isfinite(torch.tensor([history[0]["train_loss"], history[0]["val_loss"]])).all()
    assert load_checkpoint(tmp_path / "last.pt")["scaler"] or precision == "bf16"  # fp16 keeps a loss scale


def test_training_fits_a_small_set(tmp_path):
    config = tiny_config(tmp_path, epochs=10, train_limit=64, val_limit=64, lr=0.5, min_lr=0.05, augment=False)
    history = train(config)
    # chance is a loss of ln(10) = 2.30 and an accuracy of 0.1; notebook 10 trains the full preset
    assert history[-1]["train_loss"] < history[0]["train_loss"] - 0.15
    assert history[-1]["train_acc"] >= 0.2


def test_unknown_preset_and_bad_flags_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown preset 'mnist'"):
        make_config("mnist")
    with pytest.raises(SystemExit):
        train_cli.main(["--preset", "mnist"])
    assert "invalid choice: 'mnist'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        train_cli.main(["--out", str(tmp_path)])
    assert stop.value.code == 2 and "give --preset" in capsys.readouterr().err


def test_command_lines_train_resume_and_evaluate(tmp_path, capsys):
    tiny_flags = ["--embed-dim", "12", "--depths", "1", "1", "--num-heads", "1", "2", "--patch-size", "4"]
    common = ["--train-limit", "64", "--val-limit", "64", "--batch-size", "32", "--no-progress"]
    train_cli.main(["--preset", "digits", "--out", str(tmp_path), "--epochs", "1", *tiny_flags, *common])
    assert "best validation accuracy" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        train_cli.main(["--resume", str(tmp_path / "last.pt"), "--lr", "0.1"])
    assert stop.value.code == 2 and "not --lr" in capsys.readouterr().err
    train_cli.main(["--resume", str(tmp_path / "last.pt"), "--no-progress"])  # already complete: nothing to do
    figure = tmp_path / "confusion.png"
    evaluate_cli.main([str(tmp_path / "best.pt"), "--figure", str(figure)])
    out = capsys.readouterr().out
    assert "accuracy" in out and "on 360 validation images" in out and figure.stat().st_size > 1000


def test_no_weight_decay_on_an_absolute_position_embedding():
    """The official skip list names ``absolute_pos_embed``: a (1, h, w, C) table, not a projection."""
    model = add_absolute_position(swin_t(num_classes=10))
    _, no_decay = parameter_groups(model, 0.05)
    assert any(p is model.patch_embed.absolute_pos_embed for p in no_decay["params"])
