"""Data for training: the presets' datasets and their per-image transforms, and images that cannot be read.

Every augmentation is torchvision's own (``torchvision.transforms.v2``); this module only chooses and orders
them, as the official code's ``data/build.py`` does with timm's. The data sets (``swin_edu.presets.PRESETS``):

    digits       scikit-learn's handwritten digits (shipped with it, no download), 8x8 upsampled to 32x32, grey
    cifar10      torchvision.datasets.CIFAR10 (downloaded on first use), 32x32 colour, 10 classes
    cifar100     torchvision.datasets.CIFAR100, 32x32 colour, 100 classes
    imagenette   torchvision.datasets.Imagenette (10 ImageNet classes, the 320px version), cropped to 224
    imagefolder  any ImageNet-style folder ``DIR/train/<class>/*.jpg`` and ``DIR/val/<class>/*.jpg``, at 224

A missing or malformed folder raises an error that shows the layout the preset expects; an image file that
cannot be decoded raises :class:`UnreadableImage` naming it, or, with ``skip_unreadable``, is left out of its
batch with a warning (the training loop counts what was left out).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import Dataset, default_collate
from torchvision import datasets
from torchvision.transforms import InterpolationMode, v2

from swin_edu.presets import IMAGENET_MEAN, IMAGENET_STD, DataSpec, data_spec  # noqa: F401 (read from here too)

BICUBIC = InterpolationMode.BICUBIC  # the official code resizes bicubically (config.py: DATA.INTERPOLATION)

# ----------------------------------------------------------------------------------------------- transforms


def train_transform(spec: DataSpec, randaugment: int = 9, erasing: float = 0.25) -> v2.Compose:
    """The per-image training augmentation: crop, flip, RandAugment, to a normalised tensor, random erasing.

    Args:
        spec: the preset's images.
        randaugment: the magnitude of torchvision's RandAugment, 0 to 10 (2 operations per image); 0 = off. The
            official code uses timm's ``rand-m9-mstd0.5-inc1`` instead, which differs: the magnitude varies per
            operation (std 0.5), each operation is applied with probability 0.5, and its list of operations has
            ``Invert`` and ``SolarizeAdd`` but no ``Identity``. Both fill with the mean colour; the rotations, shears
            and translations interpolate bilinearly here (torchvision's affine on tensors has no bicubic), where
            the official code's are bicubic.
        erasing: probability of erasing one random rectangle (2% to 1/3 of the image) with per-pixel random
            normal values, as the official code's ``REPROB 0.25``, ``REMODE pixel``, ``RECOUNT 1``; 0 = off.

    Returns:
        a transform from a PIL image or a ``(C, H, W)`` tensor to a ``(C, img_size, img_size)`` float tensor.
    """
    size = spec.img_size
    steps: list[Callable] = [v2.ToImage()]
    if spec.crop == "shift":
        steps.append(v2.RandomCrop(size, padding=spec.max_shift))  # shifts of up to max_shift pixels
    else:
        steps.append(v2.RandomResizedCrop(size, interpolation=BICUBIC, antialias=True))
    if spec.flip:
        steps.append(v2.RandomHorizontalFlip())
    if randaugment:
        mean_colour = [round(255 * value) for value in spec.mean]
        steps.append(
            v2.RandAugment(
                num_ops=2,
                magnitude=randaugment,
                num_magnitude_bins=11,
                interpolation=InterpolationMode.BILINEAR,
                fill=mean_colour,
            )
        )  # on uint8 images
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(spec.mean, spec.std)]
    if erasing:
        steps.append(v2.RandomErasing(p=erasing, value="random"))
    return v2.Compose(steps)


def eval_transform(spec: DataSpec) -> v2.Compose:
    """Validation: photos resized bicubically so that the centre crop keeps 87.5% of the side (224 of 256)."""
    steps: list[Callable] = [v2.ToImage()]
    if spec.crop == "resized":
        steps += [
            v2.Resize(int(spec.img_size / 0.875), interpolation=BICUBIC, antialias=True),
            v2.CenterCrop(spec.img_size),
        ]
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(spec.mean, spec.std)]
    return v2.Compose(steps)


# ------------------------------------------------------------------------------------- unreadable image files


class UnreadableImage(ValueError):
    """An image file that cannot be decoded (truncated, not an image, ...); ``path`` names it."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)  # one argument: a loader worker process re-raises it with its own message
        self.path = path


def read_image(path: str) -> Image.Image:
    """An image file as an RGB PIL image, decoded whole now; :class:`UnreadableImage` when that fails."""
    try:
        with open(path, "rb") as file:
            return Image.open(file).convert("RGB")  # convert() decodes every pixel: a truncated file fails here
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImage(
            f"cannot read image {path!r} ({type(error).__name__}: {error}); repair or remove it, "
            f"or pass --skip-unreadable to leave unreadable images out (they are counted and "
            f"reported)",
            path,
        ) from error


class SkipUnreadable(Dataset):
    """A dataset whose unreadable images become None (with a warning that names them) instead of an error.

    Use it with :func:`collate_readable`, which leaves the Nones out of each batch.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.classes = dataset.classes

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        try:
            return self.dataset[index]
        except UnreadableImage as error:
            print(f"skipped unreadable image {error.path!r}", file=sys.stderr)
            return None


def collate_readable(items: list) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``default_collate`` of the items that are not None; None when none is left."""
    readable = [item for item in items if item is not None]
    return default_collate(readable) if readable else None


def default_workers(spec: DataSpec) -> int:
    """Loader worker processes: none for in-memory data, else one per available CPU, at most 8."""
    if spec.in_memory:
        return 0
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(8, available)


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
    images, labels = digits_images(data_spec("digits").img_size)
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
    hint = (
        " (swin_edu.train downloads it unless given --no-download)"
        if preset in ("cifar10", "cifar100", "imagenette")
        else ""
    )
    return FileNotFoundError(
        f"{preset}: {problem} in data folder {os.fspath(root) if root else None!r}.\n"
        f"Expected layout: {data_spec(preset).layout}{hint}"
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
    common = {"size": "320px", "loader": read_image}
    try:
        return (
            datasets.Imagenette(root, split="train", transform=train_tf, download=download, **common),
            datasets.Imagenette(root, split="val", transform=val_tf, download=False, **common),
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
            splits.append(datasets.ImageFolder(Path(root) / split, transform=transform, loader=read_image))
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
    skip_unreadable: bool = False,
) -> tuple[Dataset, Dataset]:
    """The training and validation datasets of a preset, with their transforms.

    Args:
        preset: a name in :data:`swin_edu.presets.PRESETS`.
        root: the data folder (not used by ``digits``); ``cifar*`` and ``imagenette`` download into it.
        download: let torchvision download ``cifar10``, ``cifar100`` or ``imagenette`` when it is missing.
        randaugment, erasing: see :func:`train_transform`.
        augment: False gives the training images the validation transform (no randomness at all).
        skip_unreadable: wrap both sets in :class:`SkipUnreadable` (load them with :func:`collate_readable`).

    Returns:
        ``(train, val)``; each item is ``(image (C, img_size, img_size), label)`` and each set has ``.classes``.
    """
    spec = data_spec(preset)
    val_tf = eval_transform(spec)
    train_tf = train_transform(spec, randaugment, erasing) if augment else val_tf
    if preset == "digits":
        sets = digits_datasets(train_tf, val_tf)
    elif preset == "imagefolder":
        sets = imagefolder_datasets(root, train_tf, val_tf)
    elif root is None:
        raise _missing(preset, root, "no folder given (use --data DIR)")
    elif preset == "imagenette":
        sets = imagenette_datasets(root, train_tf, val_tf, download)
    else:
        sets = cifar_datasets(preset, root, train_tf, val_tf, download)
    return tuple(SkipUnreadable(s) for s in sets) if skip_unreadable else sets


def class_names(dataset: Dataset) -> list[str]:
    """Readable class names: Imagenette's first English name per WordNet id, otherwise ``dataset.classes``."""
    return [name[0] if isinstance(name, tuple) else str(name) for name in dataset.classes]
