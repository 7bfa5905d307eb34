"""Decision regions, derived from a loss module's own logits (docs/math.md, "Decision boundaries (Table 1)")."""
from __future__ import annotations

import hashlib
import math
import threading

import cachetools
import torch
import torch.nn.functional as F

from .losses import AngularLoss, MarginLoss
from .sphere import circle_points, fibonacci_sphere, sphere_points  # noqa: F401  (re-exported)

GAP = -1  # label of the margin gap: directions no class claims with its margin


CACHE_BYTES = 16 * 2**20  # remembered regions, two bytes a point
_cache = cachetools.LRUCache(maxsize=CACHE_BYTES, getsizeof=lambda t: t.nbytes)
_computing: dict[bytes, threading.Event] = {}
_cache_lock = threading.Lock()  # for _cache and _computing: cachetools caches are not thread safe


def fingerprint(loss: MarginLoss, points: torch.Tensor) -> bytes:
    """A digest of everything `margin_logits` at these points depends on: the loss's class, every plain
    attribute (its hyper-parameters, A-Softmax's λ counter) and every tensor (W, the bias)."""
    digest = hashlib.blake2b(type(loss).__qualname__.encode(), digest_size=20)
    plain = sorted((k, v) for k, v in vars(loss).items()
                   if k != "training" and isinstance(v, (bool, int, float, str)))
    digest.update(repr(plain).encode())
    for name, tensor in loss.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(repr((points.dtype, tuple(points.shape))).encode())
    digest.update(points.detach().cpu().contiguous().numpy().tobytes())
    return digest.digest()


def decision_regions(loss: MarginLoss, points: torch.Tensor) -> torch.Tensor:
    """For each point x, the class i whose target logit beats every other class's logit at x when
    i is taken as the label (`loss.margin_logits(x, i)`), or GAP (−1) where no class does.

    Computed once per content (`fingerprint`), by the first thread to ask; the others wait for it. A room
    of students on one link draws the same W at the same step, and thirty sessions computing them separately
    would spend much of the server's CPU on the same regions (bench/load.py, the room)."""
    points = torch.as_tensor(points, dtype=loss.weight.dtype)
    key = fingerprint(loss, points)
    while True:
        with _cache_lock:
            owner = _cache.get(key)  # a hit is now the most recently used
            if owner is not None:
                return owner.long()
            computing = _computing.get(key)
            if computing is None:
                computing = _computing[key] = threading.Event()
                break
        computing.wait()  # then look again: found, unless it failed or was evicted meanwhile
    try:
        owner = _owners(loss, points)
        labels = owner.short()  # class labels, and GAP
        with _cache_lock:
            if labels.nbytes <= _cache.maxsize:  # cachetools refuses a value larger than the whole cache
                _cache[key] = labels
        return owner
    finally:
        with _cache_lock:
            _computing.pop(key).set()


@torch.no_grad()
def _owners(loss: MarginLoss, points: torch.Tensor) -> torch.Tensor:
    """Only the class with the largest margin-free logit at x can own x: every loss's margin lowers its
    target logit (ψ(θ) ≤ cos θ, cos θ − m, cos(θ + m), ...) and leaves or raises the others (SV-Softmax's
    t cos θ + t − 1 ≥ cos θ), so f_i(x | i) > f_k(x | i) implies plain f_i > plain f_k. One margin_logits
    call, with that class as the label, decides (tests/test_geometry.py checks it against every class).
    An angular loss's logits are scale(x) ≥ 0 times its `margin_cosines`, so those decide, and the cosines
    are computed once (half the time of the sphere's 16,200 cells). At the origin (scale 0) no class wins
    either way: there the target's term is at most 0 and every other term at least 0."""
    if isinstance(loss, AngularLoss):
        cos = loss.cosines(points)
        candidate = cos.max(dim=1).indices  # max's indices: as argmax's (the first), in two thirds of the time
        target, others = loss.margin_cosines(cos, candidate)
        target = target.squeeze(1)
    else:
        candidate = loss.logits(points).max(dim=1).indices
        others = loss.margin_logits(points, candidate)
        target = others.gather(1, candidate[:, None]).squeeze(1)
    others = others.scatter(1, candidate[:, None], -math.inf).amax(dim=1)
    return torch.where(target > others, candidate, torch.full_like(candidate, GAP))


def runs_on_circle(owner) -> list[tuple[int, int, int]]:
    """Contiguous runs (start, stop, owner) of owner labels around the closed circle; stop may pass
    len(owner), wrapping."""
    owner = torch.as_tensor(owner)
    change = torch.nonzero(owner != owner.roll(1)).flatten().tolist()
    if not change:
        return [(0, len(owner), int(owner[0]))]
    stops = change[1:] + [change[0] + len(owner)]
    return [(a, b, int(owner[a])) for a, b in zip(change, stops)]


def owned_arcs(loss: MarginLoss, n: int = 36000) -> list[tuple[float, float, int]]:
    """2-D: the circle as arcs (start°, end°, owner), end > start, angles from the x-axis."""
    phi, points = circle_points(n)
    step = 360.0 / n
    return [(a * step, b * step, who) for a, b, who in runs_on_circle(decision_regions(loss, points))]


def gap_between(loss: MarginLoss, i: int, j: int, n: int = 20000) -> float:
    """Degrees of the great-circle arc from W_i to W_j that no class claims with its margin."""
    w = F.normalize(loss.weight.detach().double(), dim=1)
    a, b = w[i], w[j]
    angle = torch.acos((a @ b).clamp(-1.0, 1.0))
    t = torch.linspace(0, 1, n, dtype=torch.float64)[:, None] * angle
    ortho = F.normalize(b - (a @ b) * a, dim=0)
    arc = torch.cos(t) * a + torch.sin(t) * ortho
    owner = decision_regions(loss, arc.to(loss.weight.dtype))
    return math.degrees(angle.item()) * (owner == GAP).double().mean().item()


def directions(dim: int, n: int = 20000) -> torch.Tensor:
    """Evenly spread unit directions on the circle (dim 2) or sphere (dim 3)."""
    return circle_points(n)[1] if dim == 2 else fibonacci_sphere(n)


def gap_fraction(loss: MarginLoss, n: int = 20000) -> float:
    """The share of directions on the circle / sphere that no class claims with its margin."""
    return (decision_regions(loss, directions(loss.weight.shape[1], n)) == GAP).float().mean().item()
