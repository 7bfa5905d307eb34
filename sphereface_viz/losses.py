"""The six losses of docs/math.md ("The losses"), each written once as its target logit f_y and its
other logits f_k.

Every loss is cross-entropy over logits, so a loss is nothing but `margin_logits(x, y)`: the logit
matrix whose column y holds the target logit f_y and whose other columns hold f_k. Training
(`forward`), decision regions (`geometry.decision_regions`) and every plot call that one method,
so the boundary on screen is the boundary being optimised.

For the normalised losses the logits factor as `scale(x) * cos`, with scale ‖x‖ (modified softmax,
A-Softmax) or s (CosFace, ArcFace, SV-Softmax); each loss then only says what replaces cos θ_y in
the target column (`target_cos`) and, for SV-Softmax, what replaces cos θ_k in the others
(`other_cos`).
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from .sphere import spread_directions

# Clamp for cos θ before acos / sqrt(1 − c²): their gradients are infinite at |c| = 1
# (docs/math.md, "Inference and numerical care").
COS_EPS = 1e-6
# Smallest ‖x‖ we divide by; a zero feature gets cos θ = 0 instead of NaN.
NORM_EPS = 1e-6


class HyperParam:
    """One declared hyper-parameter of a loss: checked on every assignment (the app sets them live),
    and the one place its default, range, unit, help text and sweep grid are written. The CLI flags,
    the app's sliders, `TrainConfig.hparams`, the live set and the margin sweep all read it.

    A float unless the default is a str (one of `choices`) or a bool. `widget`: the slider's
    (low, high, step), or a list of the values a select-slider offers; None: no control in the app.
    `grid`: the values a margin sweep tries (SphereFace Fig. 5); a loss sweeps its first gridded one.
    `symbol`: its name in the chart's title ("m = 0.35"), whose boundaries use it; "": not in the title.
    """

    def __init__(self, default, low: float = -math.inf, high: float = math.inf, *, inclusive: bool = True,
                 choices: tuple = (), live: bool = True, widget=None, grid: tuple = (), label: str = "",
                 unit: str = "", help: str = "", symbol: str = ""):
        self.default, self.low, self.high, self.inclusive = default, low, high, inclusive
        self.choices, self.live, self.widget, self.grid = tuple(choices), live, widget, tuple(grid)
        self.label, self.unit, self.help, self.symbol = label, unit, help, symbol

    def __set_name__(self, owner, name):
        self.name, self.slot = name, "_" + name
        self.label = self.label or name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj, value):
        setattr(obj, self.slot, self.check(value))

    @property
    def kind(self) -> type:
        return type(self.default)

    def check(self, value):
        """The value as this parameter's type, or ValueError saying what it must be."""
        if self.kind is bool:
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise ValueError(f"{self.name} must be true or false, got {value!r}")
            return bool(value)
        if self.kind is str:
            if value not in self.choices:
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
            return value
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number, got {value!r}") from None
        above = value >= self.low if self.inclusive else value > self.low
        if not (math.isfinite(value) and above and value <= self.high):
            raise ValueError(f"{self.name} must be {self.bounds()}, got {value!r}")
        return value

    def bounds(self) -> str:
        """'>= 1', '> 0 and <= 3.14159': the allowed range, for messages and help texts."""
        text = (">= " if self.inclusive else "> ") + f"{self.low:g}"
        return text + (f" and <= {self.high:g}" if math.isfinite(self.high) else "")


# --- the margin functions, each once -------------------------------------------------------------

def chebyshev_cos(c: torch.Tensor, m: int) -> torch.Tensor:
    """cos(mθ) = T_m(cos θ) by the recurrence T_{n+1} = 2c T_n − T_{n−1}: no acos, exact for integer m."""
    prev, cur = torch.ones_like(c), c
    if m == 0:
        return prev
    for _ in range(m - 1):
        prev, cur = cur, 2 * c * cur - prev
    return cur


def psi(cos_theta: torch.Tensor, m: float) -> torch.Tensor:
    """A-Softmax's ψ(θ) = (−1)^k cos(mθ) − 2k, k = floor(mθ/π), for θ ∈ [0, π] and real m ≥ 1.

    Continuous and decreasing; ψ = cos θ at m = 1. Integer m uses the Chebyshev form (as the
    official Caffe layer does) and finds k from cos θ ≤ cos(jπ/m), so it needs no acos.
    """
    if float(m).is_integer():
        m, c = int(m), cos_theta.clamp(-1.0, 1.0)
        k = sum(((c <= math.cos(j * math.pi / m)).to(c.dtype) for j in range(1, m)), torch.zeros_like(c))
        cos_m_theta = chebyshev_cos(c, m)
    else:
        c = cos_theta.clamp(-1 + COS_EPS, 1 - COS_EPS)
        theta = torch.acos(c)
        k = torch.floor(m * theta / math.pi)
        cos_m_theta = torch.cos(m * theta)
    sign = 1 - 2 * torch.remainder(k, 2)
    return sign * cos_m_theta - 2 * k


def cosface_cos(cos_theta: torch.Tensor, m: float) -> torch.Tensor:
    """CosFace / AM-Softmax target: cos θ − m."""
    return cos_theta - m


def arcface_cos(cos_theta: torch.Tensor, m: float) -> torch.Tensor:
    """ArcFace target: cos(θ + m) while θ + m ≤ π, else cos θ − m sin m (the reference code's
    monotone continuation: cos(θ + m) would rise again past π)."""
    c = cos_theta.clamp(-1 + COS_EPS, 1 - COS_EPS)
    sin = torch.sqrt(1 - c * c)
    return torch.where(c > math.cos(math.pi - m), c * math.cos(m) - sin * math.sin(m), c - m * math.sin(m))


def a_softmax_lambda(iteration: int, base: float, gamma: float, power: float, minimum: float) -> float:
    """The official schedule: λ = max(λ_min, base · (1 + γ·iter)^(−power))."""
    return max(minimum, base * (1 + gamma * iteration) ** (-power))


# The run-tied schedule's shape: the first tenth of its annealing takes λ from 1000 to 82, as the official
# schedule's first 80 iterations take it to 94; then it falls on to the floor, which it reaches exactly.
RUN_STEEPNESS = 100.0


def run_lambda(progress: float, base: float, minimum: float) -> float:
    """The run-tied schedule: λ = λ_min + (base − λ_min)₊ · (1 − p)₊ / (1 + 100 p), p = progress
    through the annealing (1: the floor is reached). base ≤ λ_min holds λ at λ_min."""
    p = min(max(progress, 0.0), 1.0)
    return minimum + max(0.0, base - minimum) * (1 - p) / (1 + RUN_STEEPNESS * p)


# --- the loss modules ----------------------------------------------------------------------------

class MarginLoss(nn.Module):
    """Base: cross-entropy over `margin_logits`; `logits` is the margin-free inference score.

    A loss declares its hyper-parameters as `HyperParam` class attributes; `params()` lists them, the
    constructor takes them by name, and everything outside reads that declaration."""

    name = ""
    title = ""  # for people: legends, page titles
    normalised = True  # W (and maybe x) normalised: decisions depend on direction only

    def __init__(self, feat_dim: int, num_classes: int, **hparams):
        super().__init__()
        if int(feat_dim) < 1 or int(num_classes) < 2:
            raise ValueError(f"need feat_dim >= 1 and num_classes >= 2, got {feat_dim}, {num_classes}")
        declared = self.params()
        unknown = sorted(set(hparams) - set(declared))
        if unknown:
            takes = ", ".join(declared) or "no hyper-parameters"
            raise ValueError(f"loss {self.name!r} does not take {', '.join(unknown)} (it takes {takes})")
        self.weight = nn.Parameter(spread_directions(int(num_classes), int(feat_dim)).to(torch.get_default_dtype()))
        for key, param in declared.items():
            setattr(self, key, hparams.get(key, param.default))

    @classmethod
    def params(cls) -> dict[str, HyperParam]:
        """The declared hyper-parameters, base classes' first, a subclass's redeclaration winning."""
        found = {}
        for klass in reversed(cls.__mro__):
            found.update({k: v for k, v in vars(klass).items() if isinstance(v, HyperParam)})
        return found

    @classmethod
    def swept(cls) -> HyperParam | None:
        """The parameter a margin sweep varies: the first with a grid (None: the loss has no margin)."""
        return next((p for p in cls.params().values() if p.grid), None)

    @property
    def num_classes(self) -> int:
        return self.weight.shape[0]

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """L = mean over the batch of −log softmax(f)_y."""
        return F.cross_entropy(self.margin_logits(features, labels), labels)

    def hparams(self) -> dict:
        """The declared hyper-parameters' current values."""
        return {key: getattr(self, key) for key in self.params()}

    def with_params(self, **hparams) -> "MarginLoss":
        """A copy sharing the weight tensors, with some hyper-parameters changed (e.g. λ = 0). It owns
        its parameter table, so assigning a new weight to it leaves this module alone."""
        other = copy.copy(self)
        other._parameters = dict(self._parameters)
        for key, value in hparams.items():
            setattr(other, key, value)
        return other

    def at(self, weight, bias, metrics: dict) -> "MarginLoss":
        """A copy as it was at a recorded moment (a snapshot's W, bias and hyper-parameters), for drawing
        and scoring it. A-Softmax's λ becomes a constant at that moment's value."""
        loss = copy.deepcopy(self)
        with torch.no_grad():
            loss.weight.copy_(torch.as_tensor(weight))
            if bias is not None:
                loss.bias.copy_(torch.as_tensor(bias))
        declared = loss.params()
        for key, value in metrics.items():
            if key in declared and not key.startswith("lambda"):
                setattr(loss, key, value)
        if getattr(loss, "lam", None) is not None and metrics.get("lambda") is not None:
            loss.lambda_base, loss.lambda_min = 0.0, metrics["lambda"]
        return loss


class Softmax(MarginLoss):
    """Plain softmax: f_j = W_j·x + b_j for every class, target and other alike."""

    name = "softmax"
    title = "Softmax"
    normalised = False

    def __init__(self, feat_dim: int, num_classes: int, **hparams):
        super().__init__(feat_dim, num_classes, **hparams)
        self.bias = nn.Parameter(torch.zeros(num_classes))

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(features, self.weight, self.bias)

    def margin_logits(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.logits(features)


class AngularLoss(MarginLoss):
    """Normalised W, no bias: f_k = scale(x) cos θ_k, f_y = scale(x) target_cos(cos θ_y)."""

    detach = HyperParam(False, live=False, help="margin term without gradient (SphereFace-R style): forward "
                        "values are the margin logits, gradients those of scale·cos θ_y")

    def cosines(self, features: torch.Tensor) -> torch.Tensor:
        """cos θ_j = x·W_j / (‖x‖ ‖W_j‖); F.normalize inside, because normalising the stored W in
        place would be undone by the optimiser (the `W = F.normalize(W)` pitfall, docs/math.md)."""
        x = F.normalize(features, dim=1, eps=NORM_EPS)
        return F.linear(x, F.normalize(self.weight, dim=1, eps=NORM_EPS))

    def scale(self, features: torch.Tensor) -> torch.Tensor:
        return features.norm(dim=1, keepdim=True)

    def target_cos(self, cos_y: torch.Tensor) -> torch.Tensor:
        return cos_y

    def other_cos(self, cos: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return cos

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.scale(features) * self.cosines(features)

    def margin_cosines(self, cos: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The margin logits over scale(x): the target's term target_cos(cos θ_y), (n, 1), and every class's
        term as an other class, other_cos(cos θ_k, target), (n, C). Decision regions compare these directly
        (sphereface_viz.geometry): scale(x) > 0 multiplies all of them."""
        target = self.target_cos(cos.gather(1, labels[:, None]))
        return target, self.other_cos(cos, target)

    def margin_logits(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cos, scale = self.cosines(features), self.scale(features)
        cos_y = cos.gather(1, labels[:, None])
        target, others = self.margin_cosines(cos, labels)
        is_target = F.one_hot(labels, self.num_classes).bool()
        logits = scale * torch.where(is_target, target, others)
        if self.detach:
            # Forward value of the margin logit, gradient of scale·cos θ_y (SphereFace-R / arcface_torch).
            plain = scale * cos_y
            logits = torch.where(is_target, plain + (logits.gather(1, labels[:, None]) - plain).detach(), logits)
        return logits


class ModifiedSoftmax(AngularLoss):
    """Modified softmax: f_j = ‖x‖ cos θ_j (‖W_j‖ = 1, b = 0); A-Softmax with m = 1."""

    name = "modified_softmax"
    title = "Modified softmax"


class ASoftmax(AngularLoss):
    """A-Softmax (SphereFace): f_y = ‖x‖ (λ cos θ_y + ψ(θ_y)) / (1 + λ), f_k = ‖x‖ cos θ_k.

    λ anneals with the number of training forward passes. The "run" schedule (default) reaches its
    floor at `lambda_fraction` of the run (`schedule_steps`, set by the trainer), at floor 0: the
    official one (base 1000, γ 0.12, power 1, floor 5) needs ~1,650 steps to reach 5, longer than a
    digits run, and at λ ≥ 5 the margin barely acts (docs/math.md, "λ dilutes m").
    lambda_base = lambda_min = 0 gives the pure Eq. 7.
    """

    name = "a_softmax"
    title = "A-Softmax (SphereFace)"
    m = HyperParam(4.0, 1.0, 8.0, widget=(1.0, 6.0, 0.1), grid=(1.0, 2.0, 3.0, 4.0), label="Margin m", symbol="m",
                   help="ψ(θ) = cos(mθ): the target must win at m times its angle. Drag right: the grey gaps "
                        "between the coloured arcs widen and each class's dots gather towards its W arrow; in "
                        "2-D, past m ≈ 3, ten classes run out of room")
    lambda_min = HyperParam(0.0, 0.0, widget=(0.0, 20.0, 0.5), label="λ floor (λ_min)",
                            help="where the annealing ends; 0 is the pure loss. Drag right: the grey gaps stay "
                                 "narrower, a smaller margin (at λ = 5, m = 4 acts like m ≈ 1.6)")
    lambda_base = HyperParam(1000.0, 0.0, widget=[0.0, 10.0, 100.0, 1000.0], label="λ start (λ_base)",
                             help="λ at step 0. 1000: no gaps at first, a dashed curve shows the full-margin "
                                  "boundary the annealing heads for; 0: the full margin (wide gaps) from step 0")
    lambda_schedule = HyperParam("run", choices=("run", "official"), widget=["run", "official"],
                                 label="λ schedule",
                                 help="run: the gaps open fully by a fraction of this run; official: "
                                      "λ = max(λ_min, λ_base (1 + γ·step)^(−power)), as released with λ_min = 5, "
                                      "which stays large, and the gaps narrow, for a whole digits run")
    lambda_fraction = HyperParam(0.5, 0.0, 1.0, inclusive=False, widget=(0.1, 1.0, 0.05),
                                 label="λ reaches its floor at",
                                 help="the fraction of the run (run schedule) by which λ is down to its floor. "
                                      "Drag left: the gaps open earlier, and the rest trains at the full margin")
    lambda_gamma = HyperParam(0.12, 0.0, help="official schedule: γ")
    lambda_power = HyperParam(1.0, 0.0, help="official schedule: power")

    def __init__(self, feat_dim, num_classes, **hparams):
        super().__init__(feat_dim, num_classes, **hparams)
        self.iteration = 0
        # The run's length in training forward passes; the trainer sets it. Until then, the official
        # schedule's own reach (~1,650 iterations to λ = 5).
        self.schedule_steps = 1650

    @property
    def lam(self) -> float:
        if self.lambda_schedule == "official":
            return a_softmax_lambda(self.iteration, self.lambda_base, self.lambda_gamma,
                                    self.lambda_power, self.lambda_min)
        reach = self.lambda_fraction * self.schedule_steps
        return run_lambda(self.iteration / reach, self.lambda_base, self.lambda_min)

    def target_cos(self, cos_y):
        lam = self.lam
        return (lam * cos_y + psi(cos_y, self.m)) / (1 + lam)

    def forward(self, features, labels):
        loss = super().forward(features, labels)
        if self.training:
            self.iteration += 1
        return loss


class ScaledLoss(AngularLoss):
    """Normalised W and x, logits scaled by s.

    Default s = 16, not the papers' 64 (or 30): with 2-D features and ten classes s = 64 is the
    documented "no convergence" case, the softmax saturating before the features spread out."""

    s = HyperParam(16.0, 0.0, inclusive=False, widget=(1.0, 64.0, 1.0), label="Scale s", symbol="s",
                   help="the radius the features are scaled to. The boundaries do not move; drag left and "
                        "every sample keeps pulling (softer, less compact), drag right and the softmax "
                        "saturates early")

    def scale(self, features):
        return features.new_full((features.shape[0], 1), self.s)


class CosFace(ScaledLoss):
    """CosFace / AM-Softmax: f_y = s (cos θ_y − m), f_k = s cos θ_k.

    Default m = 0.1, not the papers' 0.35: ten classes on a circle are only 36° apart, so even a
    feature sitting on W_y has cos θ_y − m < cos 36° = 0.81 once m > 0.19 (CosFace's bound for C
    classes on a circle, m ≤ 1 − cos(2π/C)). The sphere has room for the papers' 0.35.
    """

    name = "cosface"
    title = "CosFace / AM-Softmax"
    m = HyperParam(0.1, 0.0, 2.0, widget=(0.0, 0.8, 0.01), grid=(0.0, 0.1, 0.2, 0.35), label="Margin m", symbol="m",
                   help="subtracted from the target's cosine: it must beat every other cosine by m. Drag right: "
                        "the grey gaps widen and the classes tighten; on a circle of ten classes neighbours "
                        "no longer fit past m ≈ 0.19")

    def target_cos(self, cos_y):
        return cosface_cos(cos_y, self.m)


class ArcFace(ScaledLoss):
    """ArcFace: f_y = s cos(θ_y + m), f_k = s cos θ_k (monotone past θ + m > π, see arcface_cos).

    Default m = 0.15 rad, not the paper's 0.5: 0.5 rad (29°) is most of the 36° between neighbouring
    classes on a circle, leaving each class almost no room. The sphere has room for 0.5.
    """

    name = "arcface"
    title = "ArcFace"
    m = HyperParam(0.15, 0.0, math.pi, widget=(0.0, 0.8, 0.01), grid=(0.0, 0.1, 0.3, 0.5), label="Margin m", symbol="m",
                   unit="rad", help="added to the target's angle: it must win at θ + m. Drag right: a grey gap of "
                                    "exactly m opens between neighbours and the classes tighten")

    def target_cos(self, cos_y):
        return arcface_cos(cos_y, self.m)


SV_VARIANTS = {"plain": lambda c, m: c, "am": cosface_cos, "arc": arcface_cos}


class SVSoftmax(ScaledLoss):
    """SV-Softmax: f_y = s g(θ_y); f_k = s cos θ_k if g(θ_y) ≥ cos θ_k, else s (t cos θ_k + t − 1).

    g is cos θ (variant "plain"), cos θ − m ("am") or cos(θ + m) ("arc"). A class k with
    g(θ_y) < cos θ_k is a support vector and its logit is raised; t = 1 is the X-Softmax itself.
    Defaults s = 16, m = 0.1 (same 2-D reasoning as CosFace), t = 1.2 (the paper's).
    """

    name = "sv_softmax"
    title = "SV-Softmax"
    t = HyperParam(1.2, 1.0, 4.0, widget=(1.0, 2.0, 0.05), grid=(1.0, 1.2, 1.4), label="t", symbol="t",
                   help="how much a support vector's logit is raised (t cos θ + t − 1). Drag right: the dashed "
                        "raised-logit curves move in and hard negatives push harder; t = 1: the plain margin loss")
    m = HyperParam(0.1, 0.0, math.pi, widget=(0.0, 0.8, 0.01), label="Margin m", symbol="m",
                   help="the ground truth's margin: cos θ − m (am) or cos(θ + m) (arc, radians). Drag right: "
                        "the grey gaps widen")
    variant = HyperParam("am", choices=tuple(SV_VARIANTS), widget=list(SV_VARIANTS), label="Ground truth g",
                         help="plain: cos θ; am: cos θ − m; arc: cos(θ + m)")

    def __init__(self, feat_dim, num_classes, **hparams):
        super().__init__(feat_dim, num_classes, **hparams)
        # Drawing only: raise every other logit, so decision_regions shows where the target beats the
        # raised logits t cos θ_k + t − 1 (the dashed curve, docs/math.md).
        self.always_raise = False

    def target_cos(self, cos_y):
        return SV_VARIANTS[self.variant](cos_y, self.m)

    def raised_cos(self, cos):
        """The support-vector logit / s: t cos θ_k + t − 1."""
        return self.t * cos + self.t - 1

    def other_cos(self, cos, target):
        return torch.where((target < cos) | self.always_raise, self.raised_cos(cos), cos)


LOSSES = {cls.name: cls for cls in (Softmax, ModifiedSoftmax, ASoftmax, CosFace, ArcFace, SVSoftmax)}


def register(cls: type[MarginLoss]) -> type[MarginLoss]:
    """Add a loss to the registry: its logits and declared parameters are all the CLI, the app and the
    sweep need. Usable as a class decorator."""
    if not (isinstance(cls, type) and issubclass(cls, MarginLoss) and cls.name):
        raise ValueError("a loss is a MarginLoss subclass with a name")
    LOSSES[cls.name] = cls
    return cls


def default_hparams(name: str) -> dict:
    """A loss's hyper-parameters and their defaults (which of m, s, t, ... it takes at all)."""
    return {key: param.default for key, param in loss_class(name).params().items()}


def loss_class(name: str) -> type[MarginLoss]:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[name]


def build_loss(name: str, feat_dim: int, num_classes: int, **hparams) -> MarginLoss:
    """The registry: a loss module by name, hyper-parameters by their paper names (None: the default)."""
    return loss_class(name)(feat_dim, num_classes, **{k: v for k, v in hparams.items() if v is not None})
