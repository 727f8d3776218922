"""Data for training: the presets' datasets, their transforms, and Mixup / CutMix on whole batches.

Every augmentation is torchvision's own (``torchvision.transforms.v2``); this module only chooses and orders
them. The presets:

    digits       scikit-learn's handwritten digits (shipped with it, no download), 8x8 upsampled to 32x32, grey
    cifar10      torchvision.datasets.CIFAR10 (downloaded on first use), 32x32 colour, 10 classes
    cifar100     torchvision.datasets.CIFAR100, 32x32 colour, 100 classes
    imagenette   torchvision.datasets.Imagenette (10 ImageNet classes, the 320px version), cropped to 224
    imagefolder  any ImageNet-style folder ``DIR/train/<class>/*.jpg`` and ``DIR/val/<class>/*.jpg``, at 224

A missing or malformed folder raises an error that shows the layout the preset expects.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import Dataset
from torchvision import datasets
from torchvision.transforms import v2

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class DataSpec:
    """What a preset's images look like: the model's input size and channels, the classes, the normalisation.

    ``crop`` is how training images are cropped: ``"shift"`` (small images: pad by ``max_shift`` pixels and crop
    back, i.e. random shifts) or ``"resized"`` (photos: a random part of the image resized to ``img_size``, as
    for ImageNet).
    """

    img_size: int
    in_chans: int
    num_classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    crop: str
    flip: bool
    layout: str
    max_shift: int = 0


SPECS: dict[str, DataSpec] = {
    # digits: shifts of up to half a pixel of the original 8x8 image
    "digits": DataSpec(32, 1, 10, (0.31,), (0.32,), "shift", False, "none: shipped with scikit-learn", max_shift=2),
    "cifar10": DataSpec(
        32, 3, 10, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), "shift", True,
        "DIR/cifar-10-batches-py/{data_batch_1..data_batch_5, test_batch, batches.meta} (the python version)",
        max_shift=4,
    ),
    "cifar100": DataSpec(
        32, 3, 100, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), "shift", True,
        "DIR/cifar-100-python/{train, test, meta} (the python version)",
        max_shift=4,
    ),
    "imagenette": DataSpec(
        224, 3, 10, IMAGENET_MEAN, IMAGENET_STD, "resized", True,
        "DIR/imagenette2-320/{train,val}/<wnid, e.g. n01440764>/*.JPEG",
    ),
    "imagefolder": DataSpec(
        224, 3, 0, IMAGENET_MEAN, IMAGENET_STD, "resized", True,
        "DIR/train/<class name>/<image files> and DIR/val/<class name>/<image files>, the same classes in both",
    ),
}
PRESETS = tuple(SPECS)


def data_spec(preset: str) -> DataSpec:
    """The :class:`DataSpec` of a preset, with an error that lists the presets for an unknown name."""
    if preset not in SPECS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return SPECS[preset]


# ----------------------------------------------------------------------------------------------- transforms


def train_transform(spec: DataSpec, randaugment: int = 9, erasing: float = 0.25) -> v2.Compose:
    """The per-image training augmentation: crop, flip, RandAugment, to a normalised tensor, random erasing.

    Args:
        spec: the preset's images.
        randaugment: RandAugment's magnitude on a scale of 0 to 10 (the paper's recipe, timm's ``rand-m9``: 9 with
            2 operations per image); 0 = off.
        erasing: probability of erasing a random rectangle (the paper's recipe: 0.25); 0 = off.

    Returns:
        a transform from a PIL image or a ``(C, H, W)`` tensor to a ``(C, img_size, img_size)`` float tensor.
    """
    size = spec.img_size
    steps: list[Callable] = [v2.ToImage()]
    if spec.crop == "shift":
        steps.append(v2.RandomCrop(size, padding=spec.max_shift))  # shifts of up to max_shift pixels
    else:
        steps.append(v2.RandomResizedCrop(size, antialias=True))
    if spec.flip:
        steps.append(v2.RandomHorizontalFlip())
    if randaugment:
        steps.append(v2.RandAugment(num_ops=2, magnitude=randaugment, num_magnitude_bins=11))  # on uint8 images
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(spec.mean, spec.std)]
    if erasing:
        steps.append(v2.RandomErasing(p=erasing))
    return v2.Compose(steps)


def eval_transform(spec: DataSpec) -> v2.Compose:
    """Validation: photos resized so that the centre crop keeps 87.5% of the side (224 of 256), then normalised."""
    steps: list[Callable] = [v2.ToImage()]
    if spec.crop == "resized":
        steps += [v2.Resize(int(spec.img_size / 0.875), antialias=True), v2.CenterCrop(spec.img_size)]
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(spec.mean, spec.std)]
    return v2.Compose(steps)


def batch_mixer(num_classes: int, mixup: float = 0.8, cutmix: float = 1.0) -> Callable | None:
    """Mixup or CutMix on a whole batch, one of the two chosen at random for each batch (as in the paper).

    ``mixer(images (B, C, H, W), labels (B,))`` -> ``(mixed images, soft targets (B, num_classes))``.
    ``mixup`` and ``cutmix`` are the alphas of the Beta distributions the mixing ratio is drawn from; 0 turns
    one off. Returns None when both are off.
    """
    mixers = []
    if mixup > 0:
        mixers.append(v2.MixUp(alpha=mixup, num_classes=num_classes))
    if cutmix > 0:
        mixers.append(v2.CutMix(alpha=cutmix, num_classes=num_classes))
    if not mixers:
        return None
    return mixers[0] if len(mixers) == 1 else v2.RandomChoice(mixers)


# ------------------------------------------------------------------------------------------------- datasets


class TensorImages(Dataset):
    """Images held in memory, ``(N, C, H, W)`` floats in [0, 1], with their labels and a transform."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, classes: list[str], transform: Callable) -> None:
        self.images = images
        self.labels = labels
        self.classes = classes
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.images[index]), int(self.labels[index])


def digits_images(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1797 handwritten digits, upsampled: ``(1797, 1, size, size)`` in [0, 1], labels ``(1797,)``."""
    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8), ink 0..16
    images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)  # (N, 1, size, size)
    return images.clamp(0, 1), torch.tensor(digits.target)


def digits_datasets(train_tf: Callable, val_tf: Callable, val_fraction: float = 0.2) -> tuple[Dataset, Dataset]:
    """The digits split once, stratified and always the same way (seed 0): 1437 training, 360 validation images."""
    images, labels = digits_images(SPECS["digits"].img_size)
    train_idx, val_idx = train_test_split(
        torch.arange(len(labels)).numpy(), test_size=val_fraction, stratify=labels.numpy(), random_state=0
    )
    classes = [str(digit) for digit in range(10)]
    return (
        TensorImages(images[train_idx], labels[train_idx], classes, train_tf),
        TensorImages(images[val_idx], labels[val_idx], classes, val_tf),
    )


def _missing(preset: str, root: str | os.PathLike | None, problem: str) -> FileNotFoundError:
    """An error that says what is wrong with a data folder and which layout the preset expects."""
    hint = " (or leave out --no-download to fetch it)" if preset in ("cifar10", "cifar100", "imagenette") else ""
    return FileNotFoundError(
        f"{preset}: {problem} in data folder {os.fspath(root) if root else None!r}.\n"
        f"Expected layout: {SPECS[preset].layout}{hint}"
    )


def cifar_datasets(preset: str, root: str | os.PathLike, train_tf: Callable, val_tf: Callable, download: bool):
    """CIFAR-10 or CIFAR-100 through torchvision: training (50000) and test (10000) sets."""
    cls = datasets.CIFAR10 if preset == "cifar10" else datasets.CIFAR100
    if not download and not (Path(root) / cls.base_folder).is_dir():
        raise _missing(preset, root, f"no {cls.base_folder}/ folder")
    try:
        return (
            cls(root, train=True, transform=train_tf, download=download),
            cls(root, train=False, transform=val_tf, download=False),
        )
    except (RuntimeError, OSError, KeyError, pickle.UnpicklingError) as error:  # "Dataset not found or corrupted"
        raise _missing(preset, root, f"a missing or corrupted file ({error})") from error


def imagenette_datasets(root: str | os.PathLike, train_tf: Callable, val_tf: Callable, download: bool):
    """Imagenette (320px version) through torchvision: about 9469 training and 3925 validation images."""
    if not download and not (Path(root) / "imagenette2-320").is_dir():
        raise _missing("imagenette", root, "no imagenette2-320/ folder")
    try:
        return (
            datasets.Imagenette(root, split="train", size="320px", transform=train_tf, download=download),
            datasets.Imagenette(root, split="val", size="320px", transform=val_tf, download=False),
        )
    except (RuntimeError, OSError, KeyError) as error:  # a missing split, class folder or unknown WordNet id
        raise _missing("imagenette", root, f"a missing or malformed folder ({error!r})") from error


def imagefolder_datasets(root: str | os.PathLike | None, train_tf: Callable, val_tf: Callable):
    """An ImageNet-style folder through ``torchvision.datasets.ImageFolder``: ``root/train`` and ``root/val``."""
    if root is None or not Path(root).is_dir():
        raise _missing("imagefolder", root, "the folder does not exist (give it with --data DIR)")
    splits = []
    for split, transform in (("train", train_tf), ("val", val_tf)):
        if not (Path(root) / split).is_dir():
            raise _missing("imagefolder", root, f"no {split}/ subfolder")
        try:
            splits.append(datasets.ImageFolder(Path(root) / split, transform=transform))
        except FileNotFoundError as error:  # torchvision: no class folders, or no images in them
            raise _missing("imagefolder", root, f"{split}/ has no class folders with images ({error})") from error
    train, val = splits
    if train.classes != val.classes:
        raise ValueError(f"imagefolder: train/ has classes {train.classes} but val/ has {val.classes}")
    return train, val


def build_datasets(
    preset: str,
    root: str | os.PathLike | None = None,
    download: bool = True,
    randaugment: int = 9,
    erasing: float = 0.25,
    augment: bool = True,
) -> tuple[Dataset, Dataset]:
    """The training and validation datasets of a preset, with their transforms.

    Args:
        preset: one of :data:`PRESETS`.
        root: the data folder (not used by ``digits``); ``cifar*`` and ``imagenette`` download into it.
        download: let torchvision download ``cifar10``, ``cifar100`` or ``imagenette`` when it is missing.
        randaugment, erasing: see :func:`train_transform`.
        augment: False gives the training images the validation transform (no randomness at all).

    Returns:
        ``(train, val)``; each item is ``(image (C, img_size, img_size), label)`` and each set has ``.classes``.
    """
    spec = data_spec(preset)
    val_tf = eval_transform(spec)
    train_tf = train_transform(spec, randaugment, erasing) if augment else val_tf
    if preset == "digits":
        return digits_datasets(train_tf, val_tf)
    if preset == "imagefolder":
        return imagefolder_datasets(root, train_tf, val_tf)
    if root is None:
        raise _missing(preset, root, "no folder given (use --data DIR)")
    if preset == "imagenette":
        return imagenette_datasets(root, train_tf, val_tf, download)
    return cifar_datasets(preset, root, train_tf, val_tf, download)


def class_names(dataset: Dataset) -> list[str]:
    """Readable class names: Imagenette's first English name per WordNet id, otherwise ``dataset.classes``."""
    return [name[0] if isinstance(name, tuple) else str(name) for name in dataset.classes]
