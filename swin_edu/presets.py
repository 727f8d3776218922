"""What a training run is: :class:`TrainConfig`, and the named presets (data, model and recipe in one place).

A preset names a data set and the recipe and model that suit it. ``PRESETS[name].data`` says what its images
look like (:class:`DataSpec`); ``PRESETS[name].recipe`` holds the :class:`TrainConfig` fields that differ from
the paper's ImageNet-1K recipe (the defaults of :class:`TrainConfig`). :func:`make_config` joins the two, and
:meth:`TrainConfig.check` refuses a setting outside its range before anything is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from swin_edu.model import VARIANTS, SwinConfig, config_dict

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# the architecture of Swin-T, without the fields that the data decides (img_size, in_chans, num_classes)
SWIN_T = {
    key: value
    for key, value in config_dict(VARIANTS["swin_t"]).items()
    if key not in ("img_size", "in_chans", "num_classes")
}


@dataclass(frozen=True)
class DataSpec:
    """What a preset's images look like: the model's input size and channels, the classes, the normalisation.

    ``crop`` is how training images are cropped: ``"shift"`` (small images: pad by ``max_shift`` pixels and crop
    back, i.e. random shifts, as the official code does for 32x32 images) or ``"resized"`` (photos: a random part
    of the image resized bicubically to ``img_size``, as for ImageNet). ``num_classes`` 0: the data decides.
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
    in_memory: bool = False  # the whole set is a tensor: loader worker processes only cost time
    uses_folder: bool = True  # False: the images come with a package, a data folder (--data) means nothing


@dataclass(frozen=True)
class Preset:
    """A named starting point: the data's :class:`DataSpec` and the recipe fields that differ from the paper's."""

    data: DataSpec
    recipe: dict = field(default_factory=dict)


CIFAR_MODEL = dict(SWIN_T, patch_size=2, window_size=4, depths=[2, 6, 2], num_heads=[3, 6, 12], drop_path_rate=0.1)
CIFAR_RECIPE = {"epochs": 200, "batch_size": 128, "lr": 4e-3, "min_lr": 4e-5, "warmup_epochs": 10, "model": CIFAR_MODEL}

PRESETS: dict[str, Preset] = {
    # scikit-learn's 1797 8x8 digits, upsampled to 32x32 (shipped with it, no download). A 1.3M-parameter Swin:
    # patches of 4 pixels (one pixel of the original 8x8 image each), windows of 4, three stages (8x8, 4x4, 2x2
    # tokens). A short schedule on 1437 images does best with light regularisation (random shifts of up to half an
    # original pixel, label smoothing; no Mixup, CutMix, RandAugment or erasing) and small batches.
    "digits": Preset(
        DataSpec(
            img_size=32,
            in_chans=1,
            num_classes=10,
            mean=(0.31,),
            std=(0.32,),
            crop="shift",
            flip=False,
            layout="none: shipped with scikit-learn",
            max_shift=2,
            in_memory=True,
            uses_folder=False,
        ),
        {
            "epochs": 15,
            "batch_size": 16,
            "lr": 0.064,
            "min_lr": 6.4e-4,
            "warmup_epochs": 1,
            "mixup": 0.0,
            "cutmix": 0.0,
            "randaugment": 0,
            "erasing": 0.0,
            "model": dict(
                SWIN_T,
                patch_size=4,
                window_size=4,
                embed_dim=48,
                depths=[2, 2, 2],
                num_heads=[3, 6, 12],
                drop_path_rate=0.0,
            ),
        },
    ),
    # torchvision.datasets.CIFAR10 / CIFAR100 (downloaded on first use): Swin adapted to 32x32 (patch 2, window 4,
    # three stages: 16x16, 8x8, 4x4 tokens), the full recipe
    "cifar10": Preset(
        DataSpec(
            img_size=32,
            in_chans=3,
            num_classes=10,
            mean=(0.4914, 0.4822, 0.4465),
            std=(0.2470, 0.2435, 0.2616),
            crop="shift",
            flip=True,
            layout=(
                "DIR/cifar-10-batches-py/{data_batch_1..data_batch_5, test_batch, batches.meta} (the python version)"
            ),
            max_shift=4,
        ),
        CIFAR_RECIPE,
    ),
    "cifar100": Preset(
        DataSpec(
            img_size=32,
            in_chans=3,
            num_classes=100,
            mean=(0.5071, 0.4865, 0.4409),
            std=(0.2673, 0.2564, 0.2762),
            crop="shift",
            flip=True,
            layout="DIR/cifar-100-python/{train, test, meta} (the python version)",
            max_shift=4,
        ),
        CIFAR_RECIPE,
    ),
    # torchvision.datasets.Imagenette (10 ImageNet classes, the 320px version): Swin-T at 224
    "imagenette": Preset(
        DataSpec(
            img_size=224,
            in_chans=3,
            num_classes=10,
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            crop="resized",
            flip=True,
            layout="DIR/imagenette2-320/{train,val}/<wnid, e.g. n01440764>/*.JPEG",
        ),
        {"epochs": 100, "batch_size": 128, "warmup_epochs": 5},
    ),
    # any ImageNet-style folder: Swin-T at 224, the paper's recipe unchanged
    "imagefolder": Preset(
        DataSpec(
            img_size=224,
            in_chans=3,
            num_classes=0,
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            crop="resized",
            flip=True,
            layout=(
                "DIR/train/<class name>/<image files> and DIR/val/<class name>/<image files>, the same classes in both"
            ),
        ),
    ),
}


def get_preset(name: str) -> Preset:
    """The :class:`Preset` called ``name``, with an error that lists the presets for an unknown name."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def data_spec(name: str) -> DataSpec:
    """The :class:`DataSpec` of the preset called ``name``."""
    return get_preset(name).data


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. The defaults are the paper's ImageNet-1K recipe for Swin-T.

    ``lr`` and ``min_lr`` are per 1024 images: the optimizer uses ``lr * batch_size / 1024`` (linear scaling).
    ``batch_size`` is the global batch, split evenly over the processes of a distributed run. ``model`` holds
    :class:`swin_edu.model.SwinConfig` fields; ``img_size``, ``in_chans`` and ``num_classes`` come from the data.
    ``clip_grad`` 0 switches clipping off.
    """

    preset: str = "imagefolder"
    data: str | None = None
    out: str = "runs/swin"
    epochs: int = 300
    batch_size: int = 1024
    lr: float = 1e-3
    min_lr: float = 1e-5
    warmup_epochs: float = 20
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    mixup: float = 0.8
    cutmix: float = 1.0
    randaugment: int = 9
    erasing: float = 0.25
    clip_grad: float = 5.0
    augment: bool = True  # False: no per-image augmentation (Mixup/CutMix are set apart), e.g. to compare runs exactly
    model: dict = field(default_factory=lambda: dict(SWIN_T))
    seed: int = 0
    train_limit: int | None = None  # use only the first N training images (quick trials, tests)
    val_limit: int | None = None
    # how to run rather than what to compute: may change when a run is resumed
    workers: int | None = None  # data-loading processes; None: 0 for in-memory data, else up to 8 (the CPUs)
    device: str | None = None  # None: cuda when there is one
    precision: str = "auto"  # fp32, bf16 or fp16 autocast; auto: bf16 on CUDA, fp32 on the CPU
    channels_last: bool | None = None  # None: on CUDA
    compile: bool = False
    download: bool = True
    progress: bool = True
    skip_unreadable: bool = False  # skip image files that cannot be decoded (counted and reported) instead of stopping

    def check(self) -> TrainConfig:
        """Refuse any setting outside its range, naming the flag, the range and the value; returns self."""
        spec = get_preset(self.preset).data
        ranges = [
            ("epochs", self.epochs >= 1, "at least 1"),
            ("batch-size", self.batch_size >= 1, "at least 1"),
            ("min-lr", self.min_lr >= 0, "0 or more"),
            ("warmup-epochs", 0 <= self.warmup_epochs <= self.epochs, f"between 0 and --epochs ({self.epochs})"),
            ("weight-decay", self.weight_decay >= 0, "0 or more"),
            ("label-smoothing", 0 <= self.label_smoothing < 1, "in [0, 1)"),
            ("mixup", self.mixup >= 0, "0 (off) or more"),
            ("cutmix", self.cutmix >= 0, "0 (off) or more"),
            ("randaugment", 0 <= self.randaugment <= 10, "a magnitude from 0 (off) to 10"),
            ("erasing", 0 <= self.erasing <= 1, "a probability in [0, 1]"),
            ("clip-grad", self.clip_grad >= 0, "a maximum gradient norm above 0 (or 0: no clipping)"),
            ("train-limit", self.train_limit is None or self.train_limit >= 1, "at least 1 image"),
            ("val-limit", self.val_limit is None or self.val_limit >= 1, "at least 1 image"),
            ("workers", self.workers is None or self.workers >= 0, "0 or more"),
            ("precision", self.precision in ("auto", "fp32", "bf16", "fp16"), "auto, fp32, bf16 or fp16"),
        ]
        for flag, within, expected in ranges:
            if not within:
                raise ValueError(f"--{flag} must be {expected}; got {getattr(self, flag.replace('-', '_'))}")
        if self.lr <= 0:
            scaled = self.lr * self.batch_size / 1024
            raise ValueError(
                f"--lr must be above 0; got {self.lr} per 1024 images, i.e. {scaled:g} at batch "
                f"{self.batch_size} (the optimizer's learning rate is --lr * batch / 1024)"
            )
        if self.data is not None and not spec.uses_folder:
            raise ValueError(f"--data is not used by the {self.preset} preset ({spec.layout}); got {self.data!r}")
        self.check_model(spec)
        return self

    def check_model(self, spec: DataSpec) -> None:
        """Refuse model settings that cannot build a model for the preset's images."""
        for name in ("embed_dim", "patch_size", "window_size"):
            if name in self.model and self.model[name] < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1; got {self.model[name]}")
        for name in ("depths", "num_heads"):
            if any(value < 1 for value in self.model.get(name, [1])):
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1 per stage; got {self.model[name]}")
        if self.model.get("patch_size", 1) > spec.img_size:
            raise ValueError(
                f"--patch-size must be at most the {self.preset} images' {spec.img_size} pixels; "
                f"got {self.model['patch_size']}"
            )
        rate = self.model.get("drop_path_rate", 0.0)
        if not 0 <= rate < 1:
            raise ValueError(f"--drop-path must be in [0, 1) (1 drops every block: nothing would learn); got {rate}")
        unknown = sorted(set(self.model) - {f.name for f in fields(SwinConfig)})
        if unknown:
            raise ValueError(f"model settings must be SwinConfig fields; got unknown {unknown}")
        SwinConfig(**self.model)  # heads that do not divide the channels, ... fail here, named


# what may change when a run is resumed: where and how it runs (``epochs``: to extend a run, see swin_edu.train)
RUNTIME_FIELDS = (
    "out",
    "data",
    "workers",
    "device",
    "precision",
    "channels_last",
    "compile",
    "download",
    "progress",
    "skip_unreadable",
)


def make_config(preset: str, **overrides) -> TrainConfig:
    """The preset's :class:`TrainConfig`, with ``overrides`` (None values are ignored; ``model`` entries merge).

    The result is checked (:meth:`TrainConfig.check`): a setting out of range raises ValueError.
    """
    settings = dict(get_preset(preset).recipe, preset=preset, out=f"runs/{preset}")
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "model":
            value = {**settings.get("model", SWIN_T), **value}
        settings[key] = value
    return TrainConfig(**settings).check()
