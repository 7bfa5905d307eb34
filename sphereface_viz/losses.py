"""The six losses of SPEC.md §1, each written once as its target logit f_y and other logits f_k.

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

# Clamp for cos θ before acos / sqrt(1 − c²): their gradients are infinite at |c| = 1 (SPEC.md §1).
COS_EPS = 1e-6
# Smallest ‖x‖ we divide by; a zero feature gets cos θ = 0 instead of NaN.
NORM_EPS = 1e-6


class HyperParam:
    """A float hyper-parameter that checks itself on every assignment (the app sets them live)."""

    def __init__(self, low: float, inclusive: bool = True, high: float = math.inf):
        self.low, self.inclusive, self.high = low, inclusive, high

    def __set_name__(self, owner, name):
        self.name, self.slot = name, "_" + name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj, value):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number, got {value!r}") from None
        above = value >= self.low if self.inclusive else value > self.low
        if not (math.isfinite(value) and above and value <= self.high):
            bound = (">= " if self.inclusive else "> ") + f"{self.low:g}"
            if math.isfinite(self.high):
                bound += f" and <= {self.high:g}"
            raise ValueError(f"{self.name} must be {bound}, got {value!r}")
        setattr(obj, self.slot, value)


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
    """λ = max(λ_min, base · (1 + γ·iter)^(−power)), the official annealing schedule."""
    return max(minimum, base * (1 + gamma * iteration) ** (-power))


# --- the loss modules ----------------------------------------------------------------------------

class MarginLoss(nn.Module):
    """Base: cross-entropy over `margin_logits`; `logits` is the margin-free inference score."""

    name = ""
    title = ""  # for people: legends, page titles
    normalised = True  # W (and maybe x) normalised: decisions depend on direction only

    def __init__(self, feat_dim: int, num_classes: int, detach: bool = False):
        super().__init__()
        if int(feat_dim) < 1 or int(num_classes) < 2:
            raise ValueError(f"need feat_dim >= 1 and num_classes >= 2, got {feat_dim}, {num_classes}")
        self.weight = nn.Parameter(spread_directions(int(num_classes), int(feat_dim)).to(torch.get_default_dtype()))
        self.detach = bool(detach)

    @property
    def num_classes(self) -> int:
        return self.weight.shape[0]

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """L = mean over the batch of −log softmax(f)_y."""
        return F.cross_entropy(self.margin_logits(features, labels), labels)

    def hparams(self) -> dict:
        return {}

    def with_params(self, **hparams) -> "MarginLoss":
        """A copy sharing the weight tensors, with some hyper-parameters changed (e.g. λ = 0). It owns
        its parameter table, so assigning a new weight to it leaves this module alone."""
        other = copy.copy(self)
        other._parameters = dict(self._parameters)
        for key, value in hparams.items():
            setattr(other, key, value)
        return other


class Softmax(MarginLoss):
    """Plain softmax: f_j = W_j·x + b_j for every class, target and other alike."""

    name = "softmax"
    title = "Softmax"
    normalised = False

    def __init__(self, feat_dim: int, num_classes: int):
        super().__init__(feat_dim, num_classes)
        self.bias = nn.Parameter(torch.zeros(num_classes))

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(features, self.weight, self.bias)

    def margin_logits(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.logits(features)


class AngularLoss(MarginLoss):
    """Normalised W, no bias: f_k = scale(x) cos θ_k, f_y = scale(x) target_cos(cos θ_y)."""

    def cosines(self, features: torch.Tensor) -> torch.Tensor:
        """cos θ_j = x·W_j / (‖x‖ ‖W_j‖); F.normalize inside, because normalising the stored W in
        place would be undone by the optimiser (SPEC.md's `W = F.normalize(W)` pitfall)."""
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

    def margin_logits(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cos, scale = self.cosines(features), self.scale(features)
        cos_y = cos.gather(1, labels[:, None])
        target = self.target_cos(cos_y)
        is_target = F.one_hot(labels, self.num_classes).bool()
        logits = scale * torch.where(is_target, target, self.other_cos(cos, target))
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

    λ anneals with the number of training forward passes; lambda_base = lambda_min = 0 gives the
    pure Eq. 7. Defaults are the official release's (base 1000, γ 0.12, power 1, λ_min 5).
    """

    name = "a_softmax"
    title = "A-Softmax (SphereFace)"
    m = HyperParam(1.0)
    lambda_base = HyperParam(0.0)
    lambda_gamma = HyperParam(0.0)
    lambda_power = HyperParam(0.0)
    lambda_min = HyperParam(0.0)

    def __init__(self, feat_dim, num_classes, m=4.0, lambda_base=1000.0, lambda_gamma=0.12,
                 lambda_power=1.0, lambda_min=5.0, detach=False):
        super().__init__(feat_dim, num_classes, detach)
        self.m, self.lambda_base, self.lambda_gamma = m, lambda_base, lambda_gamma
        self.lambda_power, self.lambda_min = lambda_power, lambda_min
        self.iteration = 0

    @property
    def lam(self) -> float:
        return a_softmax_lambda(self.iteration, self.lambda_base, self.lambda_gamma,
                                self.lambda_power, self.lambda_min)

    def target_cos(self, cos_y):
        lam = self.lam
        return (lam * cos_y + psi(cos_y, self.m)) / (1 + lam)

    def forward(self, features, labels):
        loss = super().forward(features, labels)
        if self.training:
            self.iteration += 1
        return loss

    def hparams(self):
        return {"m": self.m, "lambda_base": self.lambda_base, "lambda_gamma": self.lambda_gamma,
                "lambda_power": self.lambda_power, "lambda_min": self.lambda_min, "lambda": self.lam}


class ScaledLoss(AngularLoss):
    """Normalised W and x, logits scaled by s."""

    s = HyperParam(0.0, inclusive=False)

    def scale(self, features):
        return features.new_full((features.shape[0], 1), self.s)


class CosFace(ScaledLoss):
    """CosFace / AM-Softmax: f_y = s (cos θ_y − m), f_k = s cos θ_k.

    Defaults s = 16, m = 0.1, not the papers' 64 (or 30) and 0.35: ten classes on a circle are only
    36° apart, so even a feature sitting on W_y has cos θ_y − m < cos 36° = 0.81 once m > 0.19, and
    with s = 64 the softmax saturates before the 2-D features spread out.
    """

    name = "cosface"
    title = "CosFace / AM-Softmax"
    m = HyperParam(0.0, high=2.0)

    def __init__(self, feat_dim, num_classes, s=16.0, m=0.1, detach=False):
        super().__init__(feat_dim, num_classes, detach)
        self.s, self.m = s, m

    def target_cos(self, cos_y):
        return cosface_cos(cos_y, self.m)

    def hparams(self):
        return {"s": self.s, "m": self.m}


class ArcFace(ScaledLoss):
    """ArcFace: f_y = s cos(θ_y + m), f_k = s cos θ_k (monotone past θ + m > π, see arcface_cos).

    Defaults s = 16, m = 0.15 rad, not the paper's 64 and 0.5: with 2-D features and ten classes,
    s = 64 is the documented "no convergence" case, and 0.5 rad (29°) is most of the 36° between
    neighbouring classes, leaving each class almost no room.
    """

    name = "arcface"
    title = "ArcFace"
    m = HyperParam(0.0, high=math.pi)

    def __init__(self, feat_dim, num_classes, s=16.0, m=0.15, detach=False):
        super().__init__(feat_dim, num_classes, detach)
        self.s, self.m = s, m

    def target_cos(self, cos_y):
        return arcface_cos(cos_y, self.m)

    def hparams(self):
        return {"s": self.s, "m": self.m}


SV_VARIANTS = {"plain": lambda c, m: c, "am": cosface_cos, "arc": arcface_cos}


class SVSoftmax(ScaledLoss):
    """SV-Softmax: f_y = s g(θ_y); f_k = s cos θ_k if g(θ_y) ≥ cos θ_k, else s (t cos θ_k + t − 1).

    g is cos θ (variant "plain"), cos θ − m ("am") or cos(θ + m) ("arc"). A class k with
    g(θ_y) < cos θ_k is a support vector and its logit is raised; t = 1 is the X-Softmax itself.
    Defaults s = 16, m = 0.1 (same 2-D reasoning as CosFace), t = 1.2 (the paper's).
    """

    name = "sv_softmax"
    title = "SV-Softmax"
    t = HyperParam(1.0)
    m = HyperParam(0.0, high=math.pi)

    def __init__(self, feat_dim, num_classes, s=16.0, t=1.2, m=0.1, variant="am", detach=False):
        super().__init__(feat_dim, num_classes, detach)
        self.s, self.t, self.m = s, t, m
        self.variant = variant
        # Drawing only: raise every other logit, so decision_regions shows where the target beats the
        # raised logits t cos θ_k + t − 1 (SPEC.md §2's dashed curve).
        self.always_raise = False

    @property
    def variant(self) -> str:
        return self._variant

    @variant.setter
    def variant(self, value):
        if value not in SV_VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(SV_VARIANTS)}, got {value!r}")
        self._variant = value

    def target_cos(self, cos_y):
        return SV_VARIANTS[self.variant](cos_y, self.m)

    def raised_cos(self, cos):
        """The support-vector logit / s: t cos θ_k + t − 1."""
        return self.t * cos + self.t - 1

    def other_cos(self, cos, target):
        return torch.where((target < cos) | self.always_raise, self.raised_cos(cos), cos)

    def hparams(self):
        return {"s": self.s, "t": self.t, "m": self.m, "variant": self.variant}


LOSSES = {cls.name: cls for cls in (Softmax, ModifiedSoftmax, ASoftmax, CosFace, ArcFace, SVSoftmax)}


def default_hparams(name: str) -> dict:
    """A loss's hyper-parameters and their defaults (which of m, s, t, ... it takes at all)."""
    return build_loss(name, 2, 2).hparams()


def build_loss(name: str, feat_dim: int, num_classes: int, **hparams) -> MarginLoss:
    """The registry: a loss module by name, hyper-parameters by their SPEC.md names."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    cls = LOSSES[name]
    hparams = {k: v for k, v in hparams.items() if v is not None}
    try:
        return cls(feat_dim, num_classes, **hparams)
    except TypeError as err:
        raise ValueError(f"loss {name!r} does not take {', '.join(sorted(hparams))}: {err}") from None
