"""The checkpoint and the run folder: atomic writes, the order of writes, the lock, clear errors for foreign files,
and kill -9 trials during checkpoint writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import torch

from swin_edu import checkpoint as checkpoint_module
from swin_edu import run_folder as run_folder_module
from swin_edu.checkpoint import (
    CHECKPOINT_KEYS,
    check_classes,
    load_checkpoint,
    model_from_checkpoint,
    write_atomically,
)
from swin_edu.model import SwinConfig, SwinTransformer, config_dict
from swin_edu.run_folder import RunFolder, RunFolderLocked, check_run_folder, write_metrics


def tiny_state(epoch: int, val_accs: list[float]) -> dict:
    """A checkpoint of a very small model, with a history whose validation accuracies are ``val_accs``."""
    torch.manual_seed(epoch)
    model = SwinTransformer(
        SwinConfig(
            img_size=32,
            patch_size=4,
            in_chans=1,
            num_classes=3,
            embed_dim=8,
            depths=(1,),
            num_heads=(1,),
            window_size=4,
        )
    )
    history = [{"epoch": i + 1, "val_acc": acc} for i, acc in enumerate(val_accs)]
    return {
        "model": model.state_dict(),
        "model_config": config_dict(model.config),
        "classes": ["a", "b", "c"],
        "optimizer": {},
        "scheduler": {},
        "scaler": {},
        "epoch": epoch,
        "history": history,
        "config": {},
    }


def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "last.pt"
    path.write_bytes(b"old")

    def fail_halfway(file):
        file.write(b"new, but not all of it")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, fail_halfway)
    assert path.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]


def test_concurrent_writes_to_one_file_never_collide(tmp_path):
    # the old fixed name last.pt.tmp let one writer rename (or truncate) the other's half-written file
    path, errors = tmp_path / "last.pt", []

    def writer(tag: bytes):
        try:
            for _ in range(30):
                write_atomically(path, lambda file: file.write(tag * 50_000))
        except Exception as error:  # noqa: BLE001 (the test reports any failure below)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in (b"a", b"b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    content = path.read_bytes()
    assert not errors and content in (b"a" * 50_000, b"b" * 50_000)
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_best_is_written_before_last_so_a_stop_between_them_loses_no_best_weights(tmp_path, monkeypatch):
    with RunFolder(tmp_path) as folder:
        folder.save_epoch(tiny_state(1, [0.5]))
        original = run_folder_module.save_checkpoint

        def stop_at_last(state, path):
            if path.name == "last.pt":
                raise KeyboardInterrupt  # the stop lands between the two writes
            original(state, path)

        monkeypatch.setattr(run_folder_module, "save_checkpoint", stop_at_last)
        with pytest.raises(KeyboardInterrupt):
            folder.save_epoch(tiny_state(2, [0.5, 0.9]))
    last, best = load_checkpoint(tmp_path / "last.pt"), load_checkpoint(tmp_path / "best.pt")
    recorded_best = max(last["history"], key=lambda record: record["val_acc"])["epoch"]
    assert last["epoch"] == 1 and best["epoch"] == 2 >= recorded_best


def test_best_follows_the_best_validation_accuracy_and_the_latest_of_equals(tmp_path):
    with RunFolder(tmp_path) as folder:
        for epoch, accs in enumerate([[0.5], [0.5, 0.7], [0.5, 0.7, 0.6], [0.5, 0.7, 0.6, 0.7]], start=1):
            folder.save_epoch(tiny_state(epoch, accs))
            expected_best = {1: 1, 2: 2, 3: 2, 4: 4}[epoch]  # worked by hand
            assert load_checkpoint(tmp_path / "best.pt")["epoch"] == expected_best
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["val_acc"] for line in lines] == [0.5, 0.7, 0.6, 0.7]


def test_metrics_refuse_nan_instead_of_writing_invalid_json(tmp_path):
    with pytest.raises(ValueError, match="Out of range float"):
        write_metrics([{"epoch": 1, "train_loss": float("nan")}], tmp_path / "metrics.jsonl")
    assert not (tmp_path / "metrics.jsonl").exists()


def test_the_lock_names_its_holder_and_a_second_run_is_refused(tmp_path):
    with RunFolder(tmp_path), pytest.raises(RunFolderLocked, match=f"in use by process {os.getpid()} on "):
        RunFolder(tmp_path).__enter__()
    with RunFolder(tmp_path):  # released at the end: the folder can be taken again
        pass


def test_a_stale_lock_and_temporaries_of_a_killed_run_are_cleared(tmp_path):
    (tmp_path / ".lock").write_text("process 999999 on elsewhere (since long ago)\n")  # no process holds it
    (tmp_path / ".last.pt.x1y2z3.tmp").write_bytes(b"half a checkpoint")
    (tmp_path / "last.pt.tmp").write_bytes(b"the old fixed name")
    with RunFolder(tmp_path):
        assert not list(tmp_path.glob("*.tmp"))
        assert f"process {os.getpid()}" in (tmp_path / ".lock").read_text()


def test_a_run_folder_that_holds_a_run_or_is_a_file_is_refused(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("{}\n")
    with pytest.raises(FileExistsError, match="already holds a run .*--resume .*last.pt.*--out NEW_FOLDER"):
        check_run_folder(tmp_path, resuming_from=None)
    check_run_folder(tmp_path, resuming_from=tmp_path / "last.pt")  # resuming the run in it is fine
    (tmp_path / "best.pt").write_bytes(b"")  # stopped while writing its first last.pt: best.pt is the newest
    with pytest.raises(FileExistsError, match=f"--resume {tmp_path / 'best.pt'} "):
        check_run_folder(tmp_path, resuming_from=None)
    (tmp_path / "last.pt").write_bytes(b"")
    with pytest.raises(FileExistsError, match=f"--resume {tmp_path / 'last.pt'} "):
        check_run_folder(tmp_path, resuming_from=None)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file"):
        check_run_folder(tmp_path / "file", resuming_from=None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"epoch,loss\n1,0.5\n", "not a file written by torch.save"),
        (b"PK\x03\x04 and then nothing", "damaged, truncated or not a checkpoint"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_gets_a_clear_error(tmp_path, content, message):
    path = tmp_path / "weights.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_checkpoint(path)


def test_checkpoints_of_another_kind_say_what_they_lack(tmp_path):
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="holds a list"):
        load_checkpoint(tmp_path / "list.pt")
    torch.save({"model": {}}, tmp_path / "weights.pt")
    with pytest.raises(ValueError, match="lacks model_config.*load_pretrained"):
        load_checkpoint(tmp_path / "weights.pt")
    with pytest.raises(ValueError, match="is a folder"):
        load_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_evaluation_needs_only_the_model_part(tmp_path):
    state = tiny_state(1, [0.5])
    torch.save({key: state[key] for key in ("model", "model_config", "classes")}, tmp_path / "model.pt")
    model = model_from_checkpoint(tmp_path / "model.pt")
    assert model.classes == ["a", "b", "c"] and not model.training
    for name, tensor in state["model"].items():
        assert torch.equal(model.state_dict()[name], tensor), name
    with pytest.raises(ValueError, match="lacks optimizer"):
        load_checkpoint(tmp_path / "model.pt")  # resuming needs the rest
    assert set(CHECKPOINT_KEYS) == set(state)


def test_class_names_are_compared_by_name_and_count():
    check_classes(["cat", "dog"], ["cat", "dog"], "the data")
    with pytest.raises(ValueError, match="label 1: expected 'dog', found 'fox'"):
        check_classes(["cat", "dog"], ["cat", "fox"], "the data")
    with pytest.raises(ValueError, match="trained on 2 classes but the data has 3"):
        check_classes(["cat", "dog"], ["cat", "dog", "fox"], "the data")


def test_write_atomically_flushes_the_file_before_renaming(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(checkpoint_module.os, "fsync", lambda handle: events.append("fsync"))
    real_replace = os.replace
    monkeypatch.setattr(checkpoint_module.os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b)))
    write_atomically(tmp_path / "x", lambda file: file.write(b"data"))
    assert events == ["fsync", "rename", "fsync"]  # the file, the rename, then the folder entry


# ------------------------------------------------------------------------------------------ kill -9 trials

# Runs in its own process (one torch thread, so forking is safe): trains a reference run, then kills a forked
# training process with SIGKILL at random moments around its checkpoint writes, checks the files after each
# kill, resumes from whatever was left, and at the end reports the finished run beside the reference.
KILL_TRIALS = r"""
import json, os, random, signal, sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)
from swin_edu import run_folder
from swin_edu.checkpoint import load_checkpoint, resume_config
from swin_edu.presets import make_config
from swin_edu.run_folder import resumable
from swin_edu.train import train

out, reference_out, trials, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
settings = dict(epochs=6, batch_size=16, train_limit=32, val_limit=48, warmup_epochs=1, progress=False, workers=0,
                model=dict(embed_dim=12, depths=[1, 1], num_heads=[1, 2], patch_size=4))
reference = train(make_config("digits", out=reference_out, **settings))
last = os.path.join(out, "last.pt")

def resume_or_start():  # as the refusal to start anew says: from last.pt, or from best.pt if it is alone
    checkpoint = resumable(Path(out))
    if checkpoint.exists():
        return train(resume_config(checkpoint), resume=checkpoint)
    return train(make_config("digits", out=out, **settings))

def metrics_lines():  # strict JSON, one object per epoch; absent when the kill came before the first one
    path = os.path.join(out, "metrics.jsonl")
    if not os.path.exists(path):
        return 0
    lines = open(path).read().splitlines()
    [json.loads(line, parse_constant=lambda constant: 1 / 0) for line in lines]
    return len(lines)

rng = random.Random(seed)
report = []
for trial in range(trials):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the training process: says which file it starts to write, and writes slowly
        os.close(read)
        save, fsync = run_folder.save_checkpoint, os.fsync
        def announced(state, path):
            os.write(write, (path.name + "\n").encode())
            save(state, path)
        def slow_fsync(handle):
            time.sleep(0.02)
            fsync(handle)
        run_folder.save_checkpoint, os.fsync = announced, slow_fsync
        resume_or_start()
        os._exit(0)
    os.close(write)
    target, seen = rng.randrange(1, 4), []
    with os.fdopen(read) as announcements:
        while len(seen) < target:
            line = announcements.readline()
            if not line:
                break
            seen.append(line.strip())
        time.sleep(rng.uniform(0.0, 0.06))  # before, inside or after the write that was announced
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    entry = {"writing": seen[-1] if seen else None, "files": sorted(os.listdir(out)) if os.path.isdir(out) else []}
    if os.path.exists(last):
        last_checkpoint = load_checkpoint(last)
        recorded = max(last_checkpoint["history"], key=lambda r: (r["val_acc"], r["epoch"]))
        best = load_checkpoint(os.path.join(out, "best.pt"))
        entry.update(last_epoch=last_checkpoint["epoch"], best_epoch=best["epoch"], recorded_best=recorded["epoch"],
                     best_acc=best["history"][-1]["val_acc"], recorded_acc=recorded["val_acc"],
                     metrics=metrics_lines())
    report.append(entry)
final = resume_or_start()
print(json.dumps({"reference": reference, "final": final, "trials": report,
                  "left": sorted(os.listdir(out))}))
"""


def test_kill_9_during_checkpoint_writes_never_loses_the_best_weights_and_resumes_exactly(tmp_path):
    command = [sys.executable, "-c", KILL_TRIALS, str(tmp_path / "run"), str(tmp_path / "reference"), "8", "14"]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=240, check=False, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    trials = [trial for trial in result["trials"] if "last_epoch" in trial]
    assert len(trials) >= 5, result["trials"]  # most kills leave a run to check
    for trial in trials:
        # best.pt is the best epoch that last.pt records, or a later one that last.pt had not recorded yet
        assert trial["best_epoch"] >= trial["recorded_best"], trial
        assert trial["best_acc"] >= trial["recorded_acc"], trial
        assert trial["metrics"] <= trial["last_epoch"], trial  # metrics.jsonl is written last: never ahead
    assert {trial["writing"] for trial in result["trials"]} >= {"best.pt", "last.pt"}  # kills hit both kinds
    compared = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr")
    final, reference = ([[r[k] for k in compared] for r in result[run]] for run in ("final", "reference"))
    assert final == reference
    assert not [name for name in result["left"] if name.endswith(".tmp")]
