"""The data presets, tested on small fake copies written in each dataset's real on-disk layout (no download)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skimage_data
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from swin_edu import data
from swin_edu.data import build_datasets, class_names, eval_transform, train_transform
from swin_edu.presets import PRESETS, data_spec
from swin_edu.recipe import batch_mixer


def write_images(folder: Path, count: int, size: tuple[int, int] = (40, 30), suffix: str = ".png") -> None:
    """``count`` small random RGB images in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"image_{i}{suffix}")


def write_cifar(root: Path, preset: str, per_file: int = 4) -> None:
    """A tiny CIFAR in torchvision's python-pickle layout (the files the real archive unpacks to)."""
    rng = np.random.default_rng(0)

    def batch(count: int, label_key: str, classes: int) -> dict:
        return {
            "data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
            label_key: rng.integers(0, classes, count).tolist(),
        }

    if preset == "cifar10":
        folder = root / "cifar-10-batches-py"
        files = {f"data_batch_{i}": batch(per_file, "labels", 10) for i in range(1, 6)}
        files["test_batch"] = batch(per_file, "labels", 10)
        files["batches.meta"] = {"label_names": [f"class{i}" for i in range(10)]}
    else:
        folder = root / "cifar-100-python"
        files = {
            "train": batch(5 * per_file, "fine_labels", 100),
            "test": batch(per_file, "fine_labels", 100),
            "meta": {"fine_label_names": [f"class{i}" for i in range(100)]},
        }
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(pickle.dumps(content))


@pytest.fixture
def no_checksums(monkeypatch):
    """torchvision checks CIFAR files against the real archive's MD5 sums, which a fake copy cannot match."""
    monkeypatch.setattr("torchvision.datasets.cifar.check_integrity", lambda path, md5=None: Path(path).is_file())


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ValueError, match="digits, cifar10, cifar100, imagenette, imagefolder"):
        data_spec("mnist")


def test_digits_are_real_and_split_the_same_way_every_time():
    train, val = build_datasets("digits")
    assert (len(train), len(val)) == (1437, 360)
    image, label = train[0]
    assert image.shape == (1, 32, 32) and image.dtype == torch.float32
    assert 0 <= label < 10 and train.classes == [str(d) for d in range(10)]
    again, _ = build_datasets("digits", augment=False)
    assert torch.equal(train.labels, again.labels)
    per_class = np.bincount(load_digits().target)  # stratified: 20% of every class, to within one image
    assert np.abs(torch.bincount(val.labels).numpy() - 0.2 * per_class).max() <= 1


def test_validation_digits_are_scikit_learns_resized_bilinearly_and_normalised():
    # worked out without swin_edu: scikit-learn's split of the raw digits, Pillow's bilinear resize, (x - 0.31) / 0.32
    digits = load_digits()
    _, val_index = train_test_split(np.arange(1797), test_size=0.2, stratify=digits.target, random_state=0)
    _, val = build_datasets("digits")
    for position in (0, 5, 359):
        raw = digits.images[val_index[position]].astype(np.float32) / 16
        resized = np.asarray(Image.fromarray(raw).resize((32, 32), Image.BILINEAR))
        torch.manual_seed(position)  # no random draw may change a validation image
        image, label = val[position]
        np.testing.assert_allclose(image[0].numpy(), (np.clip(resized, 0, 1) - 0.31) / 0.32, atol=1e-5)
        assert label == digits.target[val_index[position]]


def test_photos_are_resized_bicubically_as_in_the_official_code():
    spec = data_spec("imagenette")
    photo = Image.fromarray(skimage_data.astronaut()).resize((400, 300))
    image = eval_transform(spec)(photo)  # (3, 224, 224), normalised
    pixels = (image * torch.tensor(spec.std)[:, None, None] + torch.tensor(spec.mean)[:, None, None]).permute(1, 2, 0)
    # Pillow: the shorter side to 256 (400x300 -> 341x256), bicubic, then the central 224x224
    left, top = (341 - 224) // 2, (256 - 224) // 2
    expected = np.asarray(photo.resize((341, 256), Image.BICUBIC).crop((left, top, left + 224, top + 224))) / 255
    difference = np.abs(pixels.numpy() - expected)
    assert difference.max() <= 1 / 255 + 1e-6 and difference.mean() < 1e-4  # bilinear: mean 5e-3, max 0.09


def test_training_augmentation_is_random_and_validation_is_not():
    torch.manual_seed(0)
    train, val = build_datasets("digits")
    assert not torch.equal(train[3][0], train[3][0])
    unaugmented, _ = build_datasets("digits", augment=False)
    assert torch.equal(unaugmented[3][0], unaugmented[3][0])


@pytest.mark.parametrize("preset", ["cifar10", "imagenette"])
def test_transforms_give_the_model_input_size(preset):
    spec = PRESETS[preset].data
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 260, 3), dtype=np.uint8))
    if spec.crop == "shift":
        photo = photo.resize((32, 32))
    for transform in (train_transform(spec), eval_transform(spec)):
        image = transform(photo)
        assert image.shape == (3, spec.img_size, spec.img_size) and image.dtype == torch.float32


def test_mixup_cutmix_give_soft_targets_that_sum_to_one():
    torch.manual_seed(0)
    mixer = batch_mixer(10, mixup=0.8, cutmix=1.0)
    images, labels = torch.rand(8, 3, 32, 32), torch.arange(8)
    mixed, targets = mixer(images, labels)
    assert mixed.shape == images.shape and targets.shape == (8, 10)
    torch.testing.assert_close(targets.sum(1), torch.ones(8))
    assert (targets.max(1).values < 1).any()  # really mixed
    assert batch_mixer(10, mixup=0.0, cutmix=0.0) is None


@pytest.mark.parametrize("preset", ["cifar10", "cifar100"])
def test_cifar_loads_from_torchvisions_layout(tmp_path, no_checksums, preset):
    write_cifar(tmp_path, preset)
    train, val = build_datasets(preset, tmp_path, download=False)
    assert (len(train), len(val)) == (20, 4)
    image, label = train[0]
    assert image.shape == (3, 32, 32) and 0 <= label < PRESETS[preset].data.num_classes
    assert class_names(train)[0] == "class0"


def test_cifar_missing_folder_says_which_layout_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py/.*data_batch_1"):
        build_datasets("cifar10", tmp_path, download=False)
    with pytest.raises(FileNotFoundError, match="use --data DIR"):
        build_datasets("cifar10", None, download=False)


def test_cifar_truncated_file_says_which_layout_was_expected(tmp_path, no_checksums):
    write_cifar(tmp_path, "cifar10")
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:100])
    with pytest.raises(FileNotFoundError, match="missing or corrupted file"):
        build_datasets("cifar10", tmp_path, download=False)


def test_imagenette_loads_from_its_folder_layout(tmp_path):
    for split in ("train", "val"):
        for wnid in ("n01440764", "n03888257"):
            write_images(tmp_path / "imagenette2-320" / split / wnid, 2, (64, 48), ".JPEG")
    train, val = build_datasets("imagenette", tmp_path, download=False)
    assert (len(train), len(val)) == (4, 4)
    assert train[0][0].shape == (3, 224, 224)
    assert class_names(train) == ["tench", "parachute"]


def test_imagenette_malformed_folder_says_which_layout_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="imagenette2-320/{train,val}/<wnid"):
        build_datasets("imagenette", tmp_path, download=False)
    write_images(tmp_path / "imagenette2-320" / "train" / "not_a_wordnet_id", 1, suffix=".JPEG")
    with pytest.raises(FileNotFoundError, match="malformed"):
        build_datasets("imagenette", tmp_path, download=False)


def test_imagefolder_loads_train_and_val(tmp_path):
    for split in ("train", "val"):
        for name in ("cat", "dog", "fox"):
            write_images(tmp_path / split / name, 2)
    train, val = build_datasets("imagefolder", tmp_path)
    assert (len(train), len(val)) == (6, 6) and class_names(val) == ["cat", "dog", "fox"]
    assert val[0][0].shape == (3, 224, 224)


def test_imagefolder_bad_folders_say_which_layout_was_expected(tmp_path):
    layout = "DIR/train/<class name>/<image files> and DIR/val/<class name>"
    with pytest.raises(FileNotFoundError, match="does not exist") as error:
        build_datasets("imagefolder", tmp_path / "nowhere")
    assert layout in str(error.value)
    write_images(tmp_path / "train" / "cat", 1)
    with pytest.raises(FileNotFoundError, match="no val/ subfolder"):
        build_datasets("imagefolder", tmp_path)
    (tmp_path / "val" / "cat").mkdir(parents=True)  # a class folder without images
    with pytest.raises(FileNotFoundError, match="val/ has no class folders with images"):
        build_datasets("imagefolder", tmp_path)
    write_images(tmp_path / "val" / "cat", 1)
    write_images(tmp_path / "val" / "dog", 1)
    with pytest.raises(ValueError, match="classes"):
        build_datasets("imagefolder", tmp_path)


def test_digits_images_are_upsampled_not_padded():
    images, labels = data.digits_images(32)
    assert images.shape == (1797, 1, 32, 32) and labels.shape == (1797,)
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert images[:, :, 4:28, 4:28].sum() < images.sum()  # ink reaches the border region too
