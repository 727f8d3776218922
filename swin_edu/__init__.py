"""swin_edu: the Swin Transformer (Liu et al., ICCV 2021) built from small, readable parts.

Modules, in the order of the paper:
    patches     patch partition + linear embedding, patch merging          (3.1, Fig. 3a)
    windows     window partition / reverse, cyclic shift, shift mask       (3.2, Fig. 2, Fig. 4)
    position    relative position index and bias                           (3.2, Eq. 4)
    attention   window attention, fused and explicit paths                  (3.2, Eq. 4)
    blocks      MLP, drop path, Swin block, stage                          (Eq. 3, Fig. 3b)
    model       SwinConfig, SwinTransformer, swin_t / swin_s / swin_b / swin_l  (3.3, Table 1)
    weights     convert_state_dict, load_pretrained (official, timm, torchvision layouts)
    complexity  FLOP counting and the paper's cost formulas
"""

from swin_edu.model import SwinConfig, SwinTransformer, swin_b, swin_l, swin_s, swin_t
from swin_edu.weights import convert_state_dict, load_pretrained

__all__ = [
    "SwinConfig",
    "SwinTransformer",
    "swin_t",
    "swin_s",
    "swin_b",
    "swin_l",
    "convert_state_dict",
    "load_pretrained",
]
__version__ = "0.1.0"
