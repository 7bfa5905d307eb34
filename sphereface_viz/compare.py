"""Losses side by side (the Compare page and its benchmark): the same data, seed and initial weights
for every loss, and each margin loss's own m, as it declares it."""
from __future__ import annotations

from .losses import LOSSES, HyperParam
from .recipe import NO_SCHEDULE, TrainConfig

MISSION = ("softmax", "modified_softmax", "a_softmax", "arcface", "sv_softmax")
# Five CNNs train at once here: half the Train page's width makes a step ~45% cheaper and still
# brings every loss to 95% on digits (bench/train.py --only compare).
WIDTH = 8


def margin(loss: str) -> HyperParam | None:
    """A loss's margin m as it declares it (bounds, slider step, default, help), or None (the softmaxes).
    Each loss has its own: A-Softmax's multiplies θ, CosFace's is in cosine units, ArcFace's in radians."""
    return LOSSES[loss].params().get("m")


def configs(losses, dim: int = 2, seed: int = 0, margins: dict[str, float] | None = None,
            **common) -> dict[str, TrainConfig]:
    """One training config per loss; the same seed gives every loss the same CNN weights, batches and
    evaluation images. margins: m by loss; a margin loss not in it starts at its declared default."""
    common, margins = {"width": WIDTH, **common}, margins or {}
    return {name: TrainConfig(loss=name, dim=dim, seed=seed, snapshot_every=NO_SCHEDULE, **common,
                              hparams={"m": margins[name]} if name in margins else {}) for name in losses}
