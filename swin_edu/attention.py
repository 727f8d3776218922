"""Window attention, W-MSA and SW-MSA: multi-head self-attention among the M*M tokens of each window.

Paper section 3.2, Eq. 4:  Attention(Q, K, V) = SoftMax(Q K^T / sqrt(d) + B) V,  B the relative position bias.

Two paths compute the same thing (a test proves it):
- the fused path, ``torch.nn.functional.scaled_dot_product_attention``, with bias and shift mask added into one
  float mask: fast, and the default;
- the explicit path, written out step by step, which can also return the attention probabilities (the visual
  explorers draw them) and which FLOP counters can see into.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from swin_edu.position import relative_position_bias, relative_position_index


def fused_kernel_is_faster(x: torch.Tensor) -> bool:
    """Whether ``scaled_dot_product_attention`` beats the explicit path here (measured: benchmarks/bench_model.py).

    On the CPU, PyTorch's fused kernel has no fast backward pass for a float mask that needs a gradient (the
    bias table learns through it). Swin-T, batch 8 at 224, one thread, CPU time: forward 0.87 s fused against
    0.94 s explicit; forward + backward 2.51 s fused against 2.43 s explicit (with W-MSA's bias broadcast; before
    that change the training step was about 15% slower fused). On CUDA the fused path is taken in both (not
    measured here: no GPU was available).
    """
    return x.device.type != "cpu" or not torch.is_grad_enabled()


def _reset_after_load(module: WindowAttention, incompatible_keys) -> None:
    """After ``load_state_dict``: rebuild what the state dict does not hold (a module-level function, picklable)."""
    module.reset_derived_buffers()


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows, with a learned relative position bias.

    Args:
        dim: channels C of each token.
        window_size: M; a window holds N = M*M tokens.
        num_heads: attention heads; each sees C / heads channels.
        qkv_bias: learn a bias for the query, key and value projections.
        attn_drop: dropout on the attention probabilities (training only).
        proj_drop: dropout after the output projection.
        fused: use ``scaled_dot_product_attention`` where it is faster; False always takes the explicit path.

    The bias table starts at zero here; :class:`~swin_edu.model.SwinTransformer` initialises it with a truncated
    normal (std 0.02), the official code's initialisation, together with every other weight, in one pass whose
    random draws stay in the same order (so a seed gives the same model as before).
    """

    def __init__(
        self,
        dim: int,
        window_size: int,
        num_heads: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        fused: bool = True,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} must be divisible by num_heads={num_heads}")
        self.dim = dim
        self.window_size = window_size
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5  # 1 / sqrt(d)
        self.fused = fused

        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        # one learned bias per relative offset (dy, dx) and per head
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        # which row of the table each (query, key) pair reads: derived from M alone, so not saved (see below)
        self.register_buffer("relative_position_index", relative_position_index(window_size), persistent=False)
        self.register_load_state_dict_post_hook(_reset_after_load)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def reset_derived_buffers(self) -> None:
        """Recompute ``relative_position_index`` on the device of the bias table.

        Runs by itself after every tensor transform (``to``, ``to_empty``, ``cuda``, ...) and after every
        ``load_state_dict``. That is what makes a model built on the meta device usable: ``to_empty()`` leaves
        buffers uninitialised and ``load_state_dict(..., assign=True)`` leaves this one on the meta device, since
        the state dict does not hold it.
        """
        with torch.device(self.relative_position_bias_table.device):
            self.relative_position_index = relative_position_index(self.window_size)

    def _apply(self, fn, recurse: bool = True) -> WindowAttention:
        super()._apply(fn, recurse)  # every parameter and buffer through fn, as nn.Module does
        self.reset_derived_buffers()
        return self

    def attention_bias(self, mask: torch.Tensor | None) -> torch.Tensor:
        """Everything added to the logits: relative position bias plus shift mask, ``(nW or 1, heads, N, N)``."""
        bias = relative_position_bias(self.relative_position_bias_table, self.relative_position_index)
        bias = bias.unsqueeze(0)  # (1, heads, N, N)
        if mask is not None:
            bias = bias + mask.unsqueeze(1)  # (nW, heads, N, N)
        return bias

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend within each window.

        Args:
            x: ``(B*nW, N, C)``, windows of all images, batch outermost (as from ``window_partition``).
            mask: ``(nW, N, N)`` shift mask (0 / -100) shared by every image, or None for W-MSA.
            return_attention: also return the attention probabilities (takes the explicit path).

        Returns:
            ``(B*nW, N, C)``; with ``return_attention``, also the probabilities ``(B*nW, heads, N, N)``.
        """
        q, k, v = rearrange(self.qkv(x), "bw n (qkv heads d) -> qkv bw heads n d", qkv=3, heads=self.num_heads)
        bias = self.attention_bias(mask)  # (nW or 1, heads, N, N)
        windows_per_image = bias.shape[0]

        if self.fused and not return_attention and fused_kernel_is_faster(x):
            if windows_per_image > 1:
                # SW-MSA: the kernel pairs masks with windows one to one: repeat the nW masks over the images
                # (a 5-D call that broadcasts them instead leaves the fused kernel: 2.7x slower on a CPU, measured)
                bias = bias.repeat(q.shape[0] // windows_per_image, 1, 1, 1)  # (B*nW, heads, N, N)
            # W-MSA: the (1, heads, N, N) bias broadcasts over every window, no copy
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=bias.to(q.dtype), dropout_p=self.attn_drop.p if self.training else 0.0
            )
            probs = None
        else:
            logits = (q * self.scale) @ k.transpose(-2, -1)  # (B*nW, heads, N, N)
            # group the windows of each image, so that window w of every image gets bias[w] by broadcasting
            logits = rearrange(logits, "(b w) heads i j -> b w heads i j", w=windows_per_image) + bias
            probs = rearrange(logits.softmax(dim=-1), "b w heads i j -> (b w) heads i j")
            out = self.attn_drop(probs) @ v  # (B*nW, heads, N, d)

        out = rearrange(out, "bw heads n d -> bw n (heads d)")
        out = self.proj_drop(self.proj(out))
        if return_attention:
            return out, probs
        return out
