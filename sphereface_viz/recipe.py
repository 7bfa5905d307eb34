"""What a run is and how it learns: its configuration (`TrainConfig`), the default recipes measured for
each loss family, and the learning-rate schedule (one cycle, and a re-warm after a live change)."""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

from . import limits
from .losses import ScaledLoss, loss_class

# Defaults measured on digits, 2-D (docs/recipes.md, "Training recipes"). Losses that normalise x with a fixed
# scale s collapse in 2-D under weight decay or shift augmentation (decay shrinks ‖x‖ and the
# BN-normalised body, raising their effective step); the ‖x‖-scaled losses need both to generalise.
# The fixed-scale losses also clip each step's gradient norm (see Trainer.step).
RECIPES = {
    "norm": {"lr": 0.05, "epochs": 15.0, "weight_decay": 2e-3, "shift": 1, "clip": 0.0},
    "scaled": {"lr": 0.02, "epochs": 25.0, "weight_decay": 0.0, "shift": 0, "clip": 5.0},
}
# A-Softmax in 2-D anneals λ over the first half of its run and needs a longer second half at the full
# margin: at 15 epochs, m = 2 is barely tighter than m = 1 (test Intra 3.4° against 4.1°, seeds 0-2); at
# 30, 2.6° against 3.4°. In 3-D 15 epochs already halve Intra from m = 1 to 4 (docs/recipes.md, "The margin's effect").
RECIPES["a_softmax", 2] = {**RECIPES["norm"], "epochs": 30.0}
REWARM_PEAK, REWARM_LENGTH = 0.3, 0.5


NO_SCHEDULE = 10**9  # snapshot_every of a run that snapshots only when asked: a live page draws its own moments


@dataclass(frozen=True)
class TrainConfig:
    """A run's set-up, as it started: what the run store keys and a run file records. Values that change
    while training live in the trainer (`Trainer.live_values`): the loss's own attributes and `peak_lr`."""

    # the data
    dataset: str = "digits"
    data_dir: str | None = None
    download: bool | None = None    # None: unless $SPHEREFACE_VIZ_OFFLINE is set
    holdout: tuple[int, ...] = ()   # classes kept out of training (open-set view)
    # the model and its loss
    dim: int = 2
    width: int = 16
    loss: str = "a_softmax"
    hparams: Mapping = field(default_factory=dict)  # the loss's declared hyper-parameters, read-only; missing:
                                                    # defaults
    # the optimisation: None takes the loss family's RECIPES
    lr: float | None = None         # peak learning rate of the one-cycle schedule
    epochs: float | None = None     # length of the schedule; training may go on past it at the floor lr
    batch_size: int = 64
    weight_decay: float | None = None  # on the convolutions only, never on the feature layer or W
    shift: int | None = None        # augmentation: random translation by up to this many pixels
    clip: float | None = None       # largest gradient norm of a step (0: no clipping)
    seed: int = 0
    threads: int | None = None      # torch threads; the app uses 1 per session
    # what is recorded
    eval_size: int = 2000           # test images whose features are plotted and snapshotted
    snapshot_every: int | None = None  # steps between snapshots; None: ~10% of the training time; NO_SCHEDULE: none
    max_snapshots: int = 400

    def __post_init__(self):
        declared = loss_class(self.loss).params()  # raises for an unknown loss
        unknown = sorted(set(self.hparams) - set(declared))
        if unknown:
            raise ValueError(f"loss {self.loss!r} does not take {', '.join(unknown)} "
                             f"(it takes {', '.join(declared) or 'no hyper-parameters'})")
        # read-only, as the frozen fields around it: a run's key and its file are what it was built with
        object.__setattr__(self, "hparams", MappingProxyType({k: declared[k].check(v) for k, v in self.hparams.items()
                                                              if v is not None}))
        family = "scaled" if issubclass(loss_class(self.loss), ScaledLoss) else "norm"
        recipe = RECIPES.get((self.loss, self.dim)) or RECIPES[family]
        for key, value in recipe.items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)  # frozen: set once, here
        if self.dim not in (2, 3):
            raise ValueError(f"dim must be 2 or 3, got {self.dim}")
        for name in ("lr", "epochs"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not all(math.isfinite(v) and v >= 0 for v in (self.weight_decay, self.shift, self.clip)):
            raise ValueError(f"weight_decay, shift and clip must be >= 0, got {self.weight_decay!r}, "
                             f"{self.shift!r}, {self.clip!r}")
        if self.epochs > limits.MAX_EPOCHS:
            raise ValueError(f"epochs must be at most {limits.MAX_EPOCHS:g}, got {self.epochs!r}")
        bounds = {"batch_size": (2, limits.MAX_BATCH), "width": (1, limits.MAX_WIDTH),
                  "eval_size": (1, limits.MAX_EVAL_SIZE), "snapshot_every": (1, None),
                  "max_snapshots": (1, limits.MAX_SNAPSHOTS), "seed": (0, 2**32 - 1), "threads": (1, 64)}
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if value is None and name in ("snapshot_every", "threads"):
                continue
            whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
            if not (whole and low <= value <= (high or value)):
                raise ValueError(f"{name} must be a whole number from {low:,}" + (f" to {high:,}" if high else "")
                                 + f", got {value!r}")
        object.__setattr__(self, "holdout", tuple(sorted({int(c) for c in self.holdout})))

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # plain values, as JSON writes them
        d["holdout"], d["hparams"] = list(self.holdout), dict(self.hparams)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Also reads run files from before `hparams`, which kept the loss's parameters at the top level."""
        known = {f.name for f in fields(cls)}
        declared = loss_class(d.get("loss", cls.loss)).params()
        hparams = {k: v for k, v in d.items() if k in declared and v is not None} | dict(d.get("hparams") or {})
        return cls(**{k: v for k, v in d.items() if k in known and k != "hparams"}, hparams=hparams)

    @property
    def live(self) -> set[str]:
        """What may change between steps: the loss's live parameters and the learning rate. Anything
        else needs a new Trainer."""
        return {k for k, p in loss_class(self.loss).params().items() if p.live} | {"lr"}


def one_cycle(progress: float) -> float:
    """Learning-rate factor: linear warm-up over the first 15%, cosine down to 2% by the end, then flat."""
    if progress < 0.15:
        return 0.1 + 0.9 * progress / 0.15
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, (progress - 0.15) / 0.85)))


def rewarm(since: float) -> float:
    """Learning-rate factor after a live change of the loss, `since` in fractions of the schedule:
    back to 30% of the peak, then a cosine down to the floor over half the schedule. At the floor lr
    alone the features hardly follow a new margin. Digits 3-D, seeds 0-1, 800 steps after the change:
    test Intra ×0.64 for CosFace m 0 → 0.35 and ×0.51 for A-Softmax m 1 → 4 (a re-warm of 30% over a
    fifth of the schedule: ×0.70 and ×0.58; 50% over 30%: ×0.65 and ×0.62), accuracy ≥ 98% throughout
    (bench/margins.py --only live)."""
    if since >= REWARM_LENGTH:
        return 0.0
    return 0.02 + (REWARM_PEAK - 0.02) * 0.5 * (1 + math.cos(math.pi * since / REWARM_LENGTH))
