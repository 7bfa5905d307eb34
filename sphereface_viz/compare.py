"""Losses side by side (the Compare page and its benchmark): the same data, seed and initial weights
for every loss, and one shared slider per kind of margin."""
from __future__ import annotations

from .losses import LOSSES, default_hparams
from .recipe import TrainConfig

MISSION = ("softmax", "modified_softmax", "a_softmax", "arcface", "sv_softmax")
# The two shared sliders read the declarations: A-Softmax's m for the angular one, CosFace's for the additive one
# (ArcFace's and SV-Softmax's m share its range), each as (low, high, step) and its default.
ANGULAR_RANGE, ADDITIVE_RANGE = LOSSES["a_softmax"].m.widget, LOSSES["cosface"].m.widget
ANGULAR_M, ADDITIVE_M = LOSSES["a_softmax"].m.default, LOSSES["cosface"].m.default
# Five CNNs train at once here: half the Train page's width makes a step ~45% cheaper and still
# brings every loss to 95% on digits (bench/train.py --only compare).
WIDTH = 8


def margins(loss: str, angular: float = ANGULAR_M, additive: float = ADDITIVE_M) -> dict:
    """The shared sliders' m for one loss: A-Softmax's m multiplies θ (cos mθ); CosFace's (cos θ − m),
    ArcFace's (cos(θ + m)) and SV-Softmax's ground truth add theirs; the softmaxes have none."""
    if "m" not in default_hparams(loss):  # the loss's own parameters say whether it has a margin
        return {}
    return {"m": angular if loss == "a_softmax" else additive}


def configs(losses, dim: int = 2, seed: int = 0, angular: float = ANGULAR_M, additive: float = ADDITIVE_M,
            **common) -> dict[str, TrainConfig]:
    """One training config per loss; the same seed gives every loss the same CNN weights, batches and
    evaluation images."""
    common = {"width": WIDTH, **common}
    return {name: TrainConfig(loss=name, dim=dim, seed=seed, snapshot_every=10**9, **common,
                              hparams=margins(name, angular, additive)) for name in losses}
