"""How compact and how separated the classes are on the sphere, measured as the papers measure it
(docs/math.md, "Measuring compactness").

Every feature x is first scaled to unit length, x̂ = x / max(‖x‖, ε) with ε = 1e-6 (as
`torch.nn.functional.normalize`; a zero feature stays zero, so its cosine with anything is 0 and its
angle 90°, never NaN). Labels < 0 (unseen classes) are dropped; classes without samples are skipped.
All angles are in degrees, ∠(a, b) = arccos(a·b) with the cosine clipped to [−1, 1].

  class centre   m_i = normalise( Σ_{x∈i} x̂ )          all features  m = normalise( Σ_x x̂ )

  intra          (1/C') Σ_i  (1/n_i) Σ_{x∈i} ∠(x̂, m_i)      over the C' present classes
                 (ArcFace Table 3, "Intra")
  inter          mean of ∠(m_i, m_j) over unordered pairs i < j of present classes ("Inter")
  inter_min      min  of ∠(m_i, m_j)                           (both NaN with fewer than 2 classes)

  afs            S_w / S_b, the Angular Fisher Score (SphereFace appendix); lower is better:
                 S_w = Σ_i Σ_{x∈i} (1 − cos⟨x̂, m_i⟩),   S_b = Σ_i n_i (1 − cos⟨m_i, m⟩).
                 S_b = 0 (every centre on m, e.g. a single class) gives float('inf'); S_b is taken
                 as 0 below 1e-12·n, where only rounding is left. inf is not JSON: callers decide.

Pair statistics use the first `max_pairs_points` labelled features (callers pass them in random
order, so this is a random subsample) and every unordered pair i < j among them; a pair is "same"
when the labels agree, "different" otherwise.

  max_intra_pair        max ∠ over same pairs       (SphereFace's maximal intra-class angle)
  min_inter_pair        min ∠ over different pairs
  criterion_met         max_intra_pair < min_inter_pair   (SphereFace's criterion; one outlier
                                                            decides it)
  intra_p95, inter_p5   95th percentile of same-pair angles, 5th of different-pair angles
                        (numpy's default linear interpolation, between angles)
  robust_criterion_met  intra_p95 < inter_p5
  hist_edges            bins + 1 edges equally spaced over 0..180°
  hist_same, hist_different   fraction of same / different pairs per bin (all 0 without pairs);
                        a bin holds angles in (e_k, e_{k+1}], the first also 0°. A pair exactly on
                        an edge may fall on either side through rounding.

Without same (different) pairs their max/min/percentile are NaN and both criteria False.
"""
from __future__ import annotations

import math

import numpy as np
import torch

NORM_EPS = 1e-6     # as torch.nn.functional.normalize: a zero vector stays zero instead of NaN
AFS_ZERO = 1e-12    # S_b per sample below this is rounding, not spread: AFS is inf


def _numpy(a, dtype) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=dtype)


def _normalise(x: np.ndarray) -> np.ndarray:
    """Rows of x scaled to unit length (zero rows stay zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), NORM_EPS)


def _degrees(cos) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def pair_cosines(unit: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosines of all unordered pairs i < j of the rows of `unit`: (same-label pairs, different-label pairs).

    Sorted by label, the Gram matrix is diagonal blocks (same class) and off-diagonal blocks
    (different classes). Each class's rows meet only their own class and the later classes, so
    every pair is computed once, and the different-class products are written straight into the
    result (masking the full matrix instead is ~3x slower). Values may overshoot ±1 by rounding.
    """
    order = np.argsort(labels, kind="stable")
    unit, labels = unit[order], labels[order]
    cuts = np.flatnonzero(np.diff(labels)) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, labels.size]
    sizes = ends - starts
    same = np.empty(int(np.sum(sizes * (sizes - 1) // 2)))
    different = np.empty(int(np.sum(sizes * (labels.size - ends))))
    s = d = 0
    for a, b in zip(starts, ends):
        n, rest = b - a, labels.size - b
        np.matmul(unit[a:b], unit[b:].T, out=different[d : d + n * rest].reshape(n, rest))
        same[s : s + n * (n - 1) // 2] = (unit[a:b] @ unit[a:b].T)[np.triu_indices(n, 1)]
        s, d = s + n * (n - 1) // 2, d + n * rest
    return same, different


def _angle_percentile(cos: np.ndarray, q: float) -> float:
    """np.percentile(angles, q) without taking arccos of every cosine (reorders `cos` in place).

    The angle is decreasing in the cosine, so the k-th smallest angle is the arccos of the k-th
    largest cosine. Only the two order statistics around numpy's position q/100·(n − 1) are
    converted, then interpolated between *angles*, so the result equals numpy's on the angles.
    """
    n = cos.size
    if n == 0:
        return math.nan
    pos = q / 100 * (n - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    # k-th smallest angle  <->  index n-1-k of the cosines in ascending order
    cos.partition([n - 1 - hi, n - 1 - lo])   # in place: callers need the values, not their order
    a_lo, a_hi = _degrees(cos[[n - 1 - lo, n - 1 - hi]])
    return float(a_lo + (pos - lo) * (a_hi - a_lo))


def _histogram(cos: np.ndarray, edges_deg: np.ndarray) -> list[float]:
    """Fraction of pairs per angle bin, binned on cosines with the edges converted once."""
    # ascending cosine edges are the degree edges reversed; so are the counts. The outer edges
    # open to ±inf so that cosines rounded past ±1 still count (in the 0° and 180° bins).
    cos_edges = np.cos(np.radians(edges_deg[::-1]))
    cos_edges[0], cos_edges[-1] = -np.inf, np.inf
    counts, _ = np.histogram(cos, bins=cos_edges)
    counts = counts[::-1].astype(np.float64)
    total = counts.sum()
    return (counts / total if total else counts).tolist()


def compactness(features, labels, num_classes: int, max_pairs_points: int = 1000, bins: int = 36) -> dict:
    """Intra/inter angles, Angular Fisher Score and pair-angle statistics of labelled features.

    `features` (N, d), `labels` (N,) in 0..num_classes-1 or < 0 (ignored); tensors or arrays.
    Returns a flat dict of plain floats, bools and lists; the module docstring defines every key.
    Pair statistics use the first `max_pairs_points` labelled features: pass them in random order.
    """
    x = _numpy(features, np.float64)
    y = _numpy(labels, np.int64).reshape(-1)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"features must be (N, d) with N = len(labels), got {x.shape} and {y.shape}")
    if num_classes < 1 or bins < 1:
        raise ValueError(f"num_classes and bins must be >= 1, got {num_classes} and {bins}")
    if y.size and y.max() >= num_classes:
        raise ValueError(f"labels must be < num_classes = {num_classes}, got {y.max()}")
    keep = y >= 0
    unit, y = _normalise(x[keep]), y[keep]

    # centres: per-class sums of unit features, normalised (a class with n_i = 0 is skipped)
    counts = np.bincount(y, minlength=num_classes)
    sums = np.zeros((num_classes, unit.shape[1]))
    np.add.at(sums, y, unit)
    present = counts > 0
    centres = _normalise(sums)

    cos_own = np.einsum("nd,nd->n", unit, centres[y])        # cos⟨x̂, m_i⟩ for every feature
    per_class = np.bincount(y, weights=_degrees(cos_own), minlength=num_classes)[present] / counts[present]
    intra = float(per_class.mean()) if per_class.size else math.nan

    kept = centres[present]
    between = _degrees(kept @ kept.T)[np.triu_indices(len(kept), 1)]
    inter = float(between.mean()) if between.size else math.nan
    inter_min = float(between.min()) if between.size else math.nan

    if y.size:
        s_w = float(np.sum(1.0 - cos_own))
        s_b = float(np.sum(counts[present] * (1.0 - kept @ _normalise(unit.sum(0)))))
        afs = s_w / s_b if s_b > AFS_ZERO * y.size else math.inf
    else:
        afs = math.nan

    same, different = pair_cosines(unit[:max_pairs_points], y[:max_pairs_points])
    # the largest angle is the smallest cosine and vice versa
    max_intra = float(_degrees(same.min())) if same.size else math.nan
    min_inter = float(_degrees(different.max())) if different.size else math.nan
    p95, p5 = _angle_percentile(same, 95), _angle_percentile(different, 5)
    edges = np.linspace(0.0, 180.0, bins + 1)
    return {
        "intra": intra,
        "inter": inter,
        "inter_min": inter_min,
        "afs": afs,
        "max_intra_pair": max_intra,
        "min_inter_pair": min_inter,
        "criterion_met": bool(max_intra < min_inter),   # NaN compares False
        "intra_p95": p95,
        "inter_p5": p5,
        "robust_criterion_met": bool(p95 < p5),
        "hist_edges": edges.tolist(),
        "hist_same": _histogram(same, edges),
        "hist_different": _histogram(different, edges),
    }


def confusion(predicted, labels, classes: int) -> np.ndarray:
    """counts[i, j]: features of class i (the loss's classes; −1, unseen, left out) that the margin-free
    logits put in class j. Its diagonal over its row sums is each class's accuracy."""
    predicted, labels = _numpy(predicted, np.int64), _numpy(labels, np.int64)
    seen = labels >= 0
    counts = np.zeros((classes, classes), np.int64)
    np.add.at(counts, (labels[seen], predicted[seen]), 1)
    return counts
