"""Sample photos that ship with scikit-image or matplotlib: real images for the explorers, never downloaded.

``sample_photo()`` gives the cat "chelsea" from scikit-image, centre-cropped to a square and resized to
224 x 224, the input size of Swin-T. Other photos: "astronaut", "coffee", "rocket" (scikit-image) and
"grace_hopper" (matplotlib's sample data).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import torch
from matplotlib.image import imread
from skimage import data
from skimage.transform import resize

PHOTOS: tuple[str, ...] = ("chelsea", "astronaut", "coffee", "rocket", "grace_hopper")


def _load_photo(name: str) -> np.ndarray:
    """The photo as it ships: uint8 ``(H, W, 3)``."""
    if name == "grace_hopper":
        return imread(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")
    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of {PHOTOS}")
    return getattr(data, name)()


def _center_square(image: np.ndarray) -> np.ndarray:
    """The largest centred square of an ``(H, W, 3)`` image."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


@lru_cache(maxsize=16)
def _photo_array(size: int, name: str) -> np.ndarray:
    square = _center_square(_load_photo(name))[..., :3]
    return resize(square, (size, size), anti_aliasing=True).astype(np.float32)  # floats in [0, 1]


def sample_photo_array(size: int = 224, name: str = "chelsea") -> np.ndarray:
    """A real photo, centre-cropped and resized: float32 ``(size, size, 3)`` in [0, 1] (for matplotlib)."""
    return _photo_array(size, name).copy()


def sample_photo(size: int = 224, name: str = "chelsea") -> torch.Tensor:
    """A real photo, centre-cropped and resized: float tensor ``(3, size, size)`` in [0, 1] (for a model).

    Add the batch dimension with ``sample_photo()[None]`` and normalise as the model expects.
    """
    return torch.from_numpy(sample_photo_array(size, name)).permute(2, 0, 1).contiguous()  # (3, size, size)
