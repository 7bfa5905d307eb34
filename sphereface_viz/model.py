"""A small CNN whose last layer outputs the 2-D or 3-D feature x; the loss module holds the classifier W."""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


@dataclass
class NetConfig:
    dim: int = 2          # feature dimension: 2 (circle) or 3 (sphere)
    width: int = 16       # channels of the first stage; later stages double it
    image_size: int = 28  # 8 (digits) or 28 (MNIST family); any size >= 8 works


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """3×3 conv, batch norm, ReLU: batch norm lets a high learning rate converge in a few epochs.

    SphereFace's nets use PReLU, whose backward pass costs 13–16% of a CPU training step; ReLU steps are
    ~20% faster at the same accuracy (docs/recipes.md).
    """
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class FeatureNet(nn.Module):
    """conv → pool → 2 convs → pool → conv → global average → linear to `dim`.

    The feature layer is linear (no activation): features must be free to point in every
    direction of the circle or sphere, including negative coordinates.
    """

    def __init__(self, config: NetConfig):
        super().__init__()
        if config.dim not in (2, 3):
            raise ValueError(f"feature dim must be 2 or 3, got {config.dim}")
        if int(config.width) < 1:
            raise ValueError(f"width must be >= 1, got {config.width}")
        if config.image_size < 8:
            raise ValueError(f"images must be at least 8×8, got {config.image_size}")
        w = int(config.width)
        self.config = config
        # Pool early on 28×28 (MNIST) where pixels are cheap to drop; 8×8 digits keep full resolution.
        first_pool = nn.MaxPool2d(2) if config.image_size >= 16 else nn.Identity()
        self.body = nn.Sequential(
            conv_block(1, w), first_pool,
            conv_block(w, 2 * w), conv_block(2 * w, 2 * w), nn.MaxPool2d(2),
            conv_block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Linear(4 * w, 4 * w), nn.BatchNorm1d(4 * w), nn.ReLU(inplace=True),
                                  nn.Linear(4 * w, config.dim))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(images))

    def folded(self) -> FeatureNet:
        """A copy for embedding, in eval mode, with each conv block's batch norm folded into its conv:
        γ(W∗x − μ)/√(σ² + ε) + β is one conv of weights γW/√(σ² + ε) and bias β − γμ/√(σ² + ε). The same
        features in half the time (2,000 MNIST images: 277 → 147 ms on one thread, docs/benchmarks.md)."""
        net = copy.deepcopy(self).eval()
        for block in net.body:
            if isinstance(block, nn.Sequential) and isinstance(block[1], nn.BatchNorm2d):
                block[0], block[1] = fuse_conv_bn_eval(block[0], block[1]), nn.Identity()
        return net


def decay_groups(model: FeatureNet, classifier: list[nn.Parameter], weight_decay: float) -> list[dict]:
    """Optimizer groups: weight decay on the CNN's body only, never on the feature layer or the loss's
    classifier W. Decay shrinks ‖x‖, and for losses that normalise x the angular step grows as 1/‖x‖²,
    which makes the fixed-scale losses diverge in 2-D."""
    feature_layer = set(model.head[-1].parameters())
    body = [p for p in model.parameters() if p not in feature_layer]
    return [{"params": body, "weight_decay": weight_decay},
            {"params": list(feature_layer) + list(classifier), "weight_decay": 0.0}]
