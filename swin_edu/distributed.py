"""Where a run computes: the device and precision, the processes of a distributed run (torchrun), their data.

Several GPUs or machines: ``torchrun --nproc_per_node=N -m swin_edu.train ...`` starts N processes; each joins
the process group (nccl on CUDA, gloo on the CPU), trains on its share of every global batch, and
DistributedDataParallel averages the gradients. Only rank 0 writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset

from swin_edu.data import build_datasets, class_names, collate_readable
from swin_edu.presets import TrainConfig


@dataclass(frozen=True)
class Processes:
    """Where this process stands in a (possibly distributed) run."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(name: str | None, flag: str = "--device") -> torch.device:
    """The device called ``name`` (None: cuda when there is one, else cpu), refused when this machine lacks it."""
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ValueError(f"{flag} must be cpu, cuda or cuda:N; got {name!r}") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"{flag} must be cpu, cuda or cuda:N; got {name!r}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{flag} {name}: this machine has no CUDA GPU that torch can use; use {flag} cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(
                f"{flag} {name}: there are only {torch.cuda.device_count()} GPUs (cuda:0 to "
                f"cuda:{torch.cuda.device_count() - 1})"
            )
    return device


def start_processes(device: str | None) -> Processes:
    """Join the process group when started by torchrun (nccl on CUDA, gloo on the CPU); pick the device."""
    chosen = resolve_device(device)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if chosen.type == "cuda":
        if world_size > 1:
            chosen = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(chosen)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if chosen.type == "cuda" else "gloo")
    return Processes(rank, world_size, chosen)


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum a tensor over all processes (unchanged in a single process)."""
    if dist.is_initialized():
        dist.all_reduce(values)
    return values


def make_loaders(
    train_set: Dataset, val_set: Dataset, batch_size: int, seed: int, workers: int, processes: Processes
) -> tuple[DataLoader, DataLoader]:
    """Loaders for this process: its share of each global batch, and its share of the validation set.

    Every process shuffles with the same permutation (DistributedSampler, seeded by seed and epoch) and takes
    every ``world_size``-th image of it, so together they see exactly the batches a single process would.
    Unreadable images (see :class:`swin_edu.data.SkipUnreadable`) are left out of their batch.
    """
    if batch_size % processes.world_size:
        raise ValueError(f"--batch-size must split evenly over the {processes.world_size} processes; got {batch_size}")
    local_batch = batch_size // processes.world_size
    sampler = DistributedSampler(
        train_set, processes.world_size, processes.rank, shuffle=True, seed=seed, drop_last=True
    )
    common = {"num_workers": workers, "pin_memory": processes.device.type == "cuda", "collate_fn": collate_readable}
    train_loader = DataLoader(train_set, local_batch, sampler=sampler, drop_last=True, **common)
    val_share = Subset(val_set, range(processes.rank, len(val_set), processes.world_size))
    val_loader = DataLoader(val_share, local_batch, shuffle=False, **common)
    if len(train_loader) == 0:
        raise ValueError(
            f"--batch-size must be at most the {len(train_set)} training images (one full batch); got {batch_size}"
        )
    return train_loader, val_loader


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for a precision setting (``auto``: bf16 on CUDA, none on the CPU); None: full fp32."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    choices = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in choices:
        raise ValueError(f"--precision must be auto, {', '.join(choices)}; got {precision!r}")
    return choices[precision]


def load_data(config: TrainConfig, processes: Processes) -> tuple[Dataset, Dataset, list]:
    """The preset's datasets, cut to ``train_limit`` / ``val_limit``, and the class names.

    In a distributed run rank 0 builds them first (and downloads), then the others read what it wrote.
    """

    def build(download: bool) -> tuple[Dataset, Dataset]:
        return build_datasets(
            config.preset,
            config.data,
            download,
            config.randaugment,
            config.erasing,
            config.augment,
            config.skip_unreadable,
        )

    if processes.world_size > 1:
        if processes.is_main:
            train_set, val_set = build(config.download)
        dist.barrier()
        if not processes.is_main:
            train_set, val_set = build(False)
    else:
        train_set, val_set = build(config.download)
    classes = class_names(train_set)
    if config.train_limit:
        train_set = Subset(train_set, range(min(config.train_limit, len(train_set))))
    if config.val_limit:
        val_set = Subset(val_set, range(min(config.val_limit, len(val_set))))
    return train_set, val_set, classes
