"""The Swin Transformer: patch embedding, four stages of Swin blocks, final norm, average pool, classifier.

Paper section 3.3 and Table 1 (Swin-T/S/B/L). The state dict uses the official repository's key layout:
``patch_embed.proj``, ``layers.{i}.blocks.{j}.(norm1|attn.qkv|attn.proj|attn.relative_position_bias_table|
norm2|mlp.fc1|mlp.fc2)``, ``layers.{i}.downsample.(norm|reduction)``, ``norm``, ``head``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace

import torch
from einops import reduce
from torch import nn

from swin_edu.blocks import SwinStage
from swin_edu.patches import PatchEmbed


@dataclass(frozen=True)
class SwinConfig:
    """Every setting of a Swin Transformer. The defaults are Swin-T at 224 (paper Table 1).

    ``img_size`` is the resolution the model is designed for (FLOPs are quoted there); any input size works.
    """

    img_size: int = 224
    patch_size: int = 4
    in_chans: int = 3
    num_classes: int = 1000
    embed_dim: int = 96
    depths: tuple[int, ...] = (2, 2, 6, 2)
    num_heads: tuple[int, ...] = (3, 6, 12, 24)
    window_size: int = 7
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    drop_rate: float = 0.0
    attn_drop_rate: float = 0.0
    drop_path_rate: float = 0.2

    def __post_init__(self) -> None:
        # accept lists from a command line or a JSON file, store tuples (a frozen config has no mutable fields)
        object.__setattr__(self, "depths", tuple(self.depths))
        object.__setattr__(self, "num_heads", tuple(self.num_heads))
        if len(self.depths) != len(self.num_heads):
            raise ValueError(f"depths {self.depths} and num_heads {self.num_heads} must have one entry per stage")
        for stage, heads in enumerate(self.num_heads):
            dim = self.embed_dim * 2**stage
            if dim % heads:
                raise ValueError(f"stage {stage}: {dim} channels cannot be split into {heads} heads")
        if self.patch_size < 1 or self.window_size < 1:
            raise ValueError(f"patch_size and window_size must be positive, got {self.patch_size}, {self.window_size}")

    @property
    def num_features(self) -> int:
        """Channels of the last stage: C * 2^(stages - 1), 768 for Swin-T."""
        return self.embed_dim * 2 ** (len(self.depths) - 1)

    def stage_sizes(self) -> list[tuple[int, int]]:
        """The token map ``(h, w)`` of every stage at ``img_size``: the patch grid, then halved (rounded up) by each
        merging. Swin-T at 224: ``[(56, 56), (28, 28), (14, 14), (7, 7)]``."""
        height = width = self.img_size // self.patch_size
        sizes = []
        for _ in self.depths:
            sizes.append((height, width))
            height, width = -(-height // 2), -(-width // 2)  # ceil: PatchMerging pads an odd size
        return sizes

    def block_positions(self) -> list[tuple[int, int]]:
        """``(stage, block)`` of every block in the order they run: Swin-T gives 12 pairs, (0, 0) ... (3, 1)."""
        return [(stage, block) for stage, depth in enumerate(self.depths) for block in range(depth)]


class SwinTransformer(nn.Module):
    """Swin Transformer for image classification, with a four-stage feature pyramid for dense prediction.

    Args:
        config: a :class:`SwinConfig`; keyword arguments override its fields, or build one from the defaults.

    To build a large model without allocating or initialising it twice, build it on the meta device, then give
    it memory and load weights: ``with torch.device("meta"): model = swin_b()``, then either
    ``model.to_empty(device="cpu")`` and ``model.load_state_dict(state)``, or ``model.load_state_dict(state,
    assign=True)``. Buffers that the state dict does not hold (each attention layer's ``relative_position_index``)
    are rebuilt by themselves (``WindowAttention.reset_derived_buffers``).
    """

    def __init__(self, config: SwinConfig | None = None, **overrides) -> None:
        super().__init__()
        config = replace(config or SwinConfig(), **overrides)
        self.config = config
        self.patch_embed = PatchEmbed(config.patch_size, config.in_chans, config.embed_dim)
        self.pos_drop = nn.Dropout(config.drop_rate)

        # stochastic depth grows linearly from 0 at the first block to drop_path_rate at the last
        num_blocks = sum(config.depths)
        drop_path = [config.drop_path_rate * i / max(num_blocks - 1, 1) for i in range(num_blocks)]
        self.layers = nn.ModuleList()
        for i, (depth, heads) in enumerate(zip(config.depths, config.num_heads)):
            first = sum(config.depths[:i])
            self.layers.append(
                SwinStage(
                    dim=config.embed_dim * 2**i,
                    depth=depth,
                    num_heads=heads,
                    window_size=config.window_size,
                    mlp_ratio=config.mlp_ratio,
                    qkv_bias=config.qkv_bias,
                    drop=config.drop_rate,
                    attn_drop=config.attn_drop_rate,
                    drop_path=tuple(drop_path[first : first + depth]),
                    downsample=i < len(config.depths) - 1,
                )
            )
        self.norm = nn.LayerNorm(config.num_features)
        self.head = nn.Linear(config.num_features, config.num_classes) if config.num_classes > 0 else nn.Identity()
        self.apply(_init_weights)

    def check_input(self, images: torch.Tensor) -> None:
        """Raise a ValueError that says what was expected when ``images`` cannot go through the model."""
        expected = f"(batch, {self.config.in_chans}, height, width) with height, width >= {self.config.patch_size}"
        if not images.is_floating_point():
            raise ValueError(
                f"expected floating-point images {expected}, normalised as for training; got {images.dtype} "
                f"(convert first, e.g. images.float() / 255, then normalise)"
            )
        parameters = self.patch_embed.proj.weight
        if images.dtype != parameters.dtype and not torch.is_autocast_enabled(images.device.type):
            raise ValueError(
                f"expected images in the model's dtype {parameters.dtype}; got {images.dtype} "
                f"(convert with images.to({parameters.dtype}), or run under torch.autocast)"
            )
        if images.ndim != 4:
            raise ValueError(f"expected images of shape {expected}; got a {images.ndim}-D tensor {tuple(images.shape)}")
        if images.shape[1] != self.config.in_chans:
            raise ValueError(f"expected {expected}; got {images.shape[1]} channels in {tuple(images.shape)}")
        if min(images.shape[-2:]) < self.config.patch_size:
            raise ValueError(f"expected {expected}; got an image of {images.shape[-2]}x{images.shape[-1]} pixels")

    def forward_stages(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Run the backbone and return the output of every stage, channels-last, before its patch merging.

        ``(B, in_chans, H, W)`` -> ``[(B, H/4, W/4, C), (B, H/8, W/8, 2C), (B, H/16, W/16, 4C), (B, H/32, W/32, 8C)]``
        (sizes rounded up where a merge meets an odd size).
        """
        self.check_input(images)
        x = self.pos_drop(self.patch_embed(images))  # (B, H/4, W/4, C)
        outputs = []
        for stage in self.layers:
            x = stage.blocks(x)
            outputs.append(x)
            x = stage.downsample(x)  # (B, H/2, W/2, 2C), or unchanged after the last stage
        return outputs

    def forward_to_block(self, patch_tokens: torch.Tensor, stage: int, block: int) -> torch.Tensor:
        """Run the model from its patch embeddings up to (not through) ``self.layers[stage].blocks[block]``.

        Args:
            patch_tokens: ``(B, H/P, W/P, C)``, the output of ``self.patch_embed``.

        Returns:
            the input of that block, ``(B, h, w, C_stage)``.
        """
        x = self.pos_drop(patch_tokens)
        for earlier_stage in self.layers[:stage]:
            x = earlier_stage(x)  # its blocks, then patch merging
        return self.layers[stage].blocks[:block](x)

    def feature_pyramid(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The four stage outputs at strides 4, 8, 16, 32, channels-first ``(B, C_i, H_i, W_i)`` for dense heads."""
        return [stage_output.permute(0, 3, 1, 2).contiguous() for stage_output in self.forward_stages(images)]

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, in_chans, H, W)`` -> normalised last-stage features ``(B, H/32, W/32, 8C)``."""
        return self.norm(self.forward_stages(images)[-1])

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, in_chans, H, W)`` -> logits ``(B, num_classes)``."""
        features = self.forward_features(images)
        pooled = reduce(features, "b h w c -> b c", "mean")  # global average pooling
        return self.head(pooled)


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Within the block, ``model`` is in eval mode (no dropout, no stochastic depth); afterwards every submodule
    gets back the mode it had, even if the block raised.

        with eval_mode(model):
            logits = model(images)
    """
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes.items():
            module.training = training  # each module's own flag: train(mode) would overwrite its children


def _init_weights(module: nn.Module) -> None:
    """The reference initialisation: truncated normal (std 0.02) for linear layers and bias tables."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif hasattr(module, "relative_position_bias_table"):
        nn.init.trunc_normal_(module.relative_position_bias_table, std=0.02)


# The paper's variants (Table 1). Stochastic depth as in the paper's ImageNet-1K training: 0.2 / 0.3 / 0.5;
# Swin-L was only trained on ImageNet-22K, where the paper uses 0.2.
VARIANTS: dict[str, SwinConfig] = {
    "swin_t": SwinConfig(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.2),
    "swin_s": SwinConfig(embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.3),
    "swin_b": SwinConfig(embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32), drop_path_rate=0.5),
    "swin_l": SwinConfig(embed_dim=192, depths=(2, 2, 18, 2), num_heads=(6, 12, 24, 48), drop_path_rate=0.2),
}


def swin_t(**overrides) -> SwinTransformer:
    """Swin-T: C = 96, depths 2-2-6-2 (28M parameters, 4.5G FLOPs at 224). Keywords override the config."""
    return SwinTransformer(VARIANTS["swin_t"], **overrides)


def swin_s(**overrides) -> SwinTransformer:
    """Swin-S: C = 96, depths 2-2-18-2 (50M parameters, 8.7G FLOPs at 224)."""
    return SwinTransformer(VARIANTS["swin_s"], **overrides)


def swin_b(**overrides) -> SwinTransformer:
    """Swin-B: C = 128, depths 2-2-18-2 (88M parameters, 15.4G FLOPs at 224; 47.1G at 384 with M = 12)."""
    return SwinTransformer(VARIANTS["swin_b"], **overrides)


def swin_l(**overrides) -> SwinTransformer:
    """Swin-L: C = 192, depths 2-2-18-2 (197M parameters, 34.5G FLOPs at 224; 103.9G at 384 with M = 12)."""
    return SwinTransformer(VARIANTS["swin_l"], **overrides)


def config_dict(config: SwinConfig) -> dict:
    """A config as plain JSON-ready values (for checkpoints and logs)."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(config).items()}
