"""Verification, the open-set measure of the papers (docs/math.md, "Open set: verification"): were these two
images of one class? Every unordered pair of test images is scored by the cosine of their features, and a
threshold t on it says "same" or "different".

  TAR(t) = #{same pairs with cos ≥ t} / #same        FAR(t) = #{different pairs with cos ≥ t} / #different
  ROC    TAR against FAR over every t;  AUC = P(cos of a same pair > cos of a different pair) + ½·P(=)
  TAR at FAR = 1%    the largest TAR(t) with FAR(t) ≤ 1% (no interpolation between thresholds)
  accuracy           max over t of (#same with cos ≥ t + #different with cos < t) / #pairs, at `threshold`

On the classes held out of training ("unseen"), as LFW's identities are unseen by a face model, and beside it
on the classes trained on ("seen"); each with SphereFace's criteria on the same images
(sphereface_viz.compactness). scikit-learn computes the ROC and the area under it; it is imported on the first
call, not when the app starts. 1,000 images (500,000 pairs) cost ~0.2 s of a core.
"""
from __future__ import annotations

import math

import numpy as np

from .compactness import _normalise, compactness, pair_cosines

FAR = 0.01          # the false accept rate TAR is reported at
MAX_POINTS = 1000   # images per set at most (a random subset beyond): ~500,000 pairs
BINS = 40           # histogram bins over cos ∈ [−1, 1]
ROC_POINTS = 200    # the ROC as drawn: TAR at this many FAR values spread over [0, 1]


def verification(features, labels, bins: int = BINS) -> dict:
    """TAR at FAR, AUC and the best threshold's accuracy over every pair of these features (see the module),
    with the ROC (`roc_far`, `roc_tar`, ROC_POINTS each) and the pairs' cosines as histograms (`hist_edges`,
    `hist_same`, `hist_different`: fractions of each kind per bin). NaN without same or different pairs."""
    from sklearn.metrics import auc, roc_curve

    features, labels = np.asarray(features, dtype=np.float64), np.asarray(labels)
    same, different = pair_cosines(_normalise(features), labels) if len(labels) else (np.empty(0), np.empty(0))
    edges = np.linspace(-1.0, 1.0, bins + 1)
    result = {"pairs_same": int(same.size), "pairs_different": int(different.size), "far": FAR,
              "hist_edges": edges.tolist(), "hist_same": _fractions(same, edges),
              "hist_different": _fractions(different, edges)}
    if not same.size or not different.size:
        return {**result, "auc": math.nan, "tar_at_far": math.nan, "accuracy": math.nan, "threshold": math.nan,
                "roc_far": [], "roc_tar": []}
    truth = np.r_[np.ones(same.size, dtype=bool), np.zeros(different.size, dtype=bool)]
    score = np.r_[same, different]
    far, tar, thresholds = roc_curve(truth, score, drop_intermediate=False)
    correct = tar * same.size + (1.0 - far) * different.size  # at threshold t: same with cos ≥ t, different below
    best = int(np.argmax(correct))
    grid = np.linspace(0.0, 1.0, ROC_POINTS)
    # the area under every threshold's point is roc_auc_score's (ties count half), without sorting the pairs again
    return {**result, "auc": float(auc(far, tar)), "tar_at_far": float(tar[far <= FAR].max()),
            # threshold inf: the best is to call every pair different
            "accuracy": float(correct[best] / score.size), "threshold": float(thresholds[best]),
            # the staircase's upper envelope at each FAR drawn: what a threshold can reach there
            "roc_far": grid.tolist(), "roc_tar": _envelope(far, tar, grid).tolist()}


def _fractions(cos: np.ndarray, edges: np.ndarray) -> list[float]:
    counts, _ = np.histogram(np.clip(cos, -1.0, 1.0), bins=edges)
    return (counts / max(cos.size, 1)).tolist()


def _envelope(far: np.ndarray, tar: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The largest TAR at FAR ≤ each grid value (roc_curve's FAR grows with its index, TAR too)."""
    return tar[np.searchsorted(far, grid, side="right") - 1]


def open_set(features, labels, seen, max_points: int = MAX_POINTS, seed: int = 0,
             sets: tuple[str, ...] = ("unseen", "seen")) -> dict:
    """`verification` and SphereFace's criteria (`criterion_met`: max intra-class pair angle < min inter-class;
    `robust_criterion_met`, on the 95th / 5th percentiles) for the test images of the classes held out of
    training ("unseen": labels not in `seen`) and of those trained on ("seen"). labels: original class ids.
    Each set is at most `max_points` images, a random subset fixed by `seed`; a set of fewer than two classes
    is None. sets: which of the two to measure."""
    features, labels = np.asarray(features), np.asarray(labels)
    trained = np.isin(labels, np.asarray(list(seen)))
    rng = np.random.default_rng(seed)
    result = {}
    for name in sets:
        index = np.flatnonzero(trained if name == "seen" else ~trained)
        if len(np.unique(labels[index])) < 2:
            result[name] = None
            continue
        if index.size > max_points:
            index = np.sort(rng.choice(index, max_points, replace=False))
        classes, local = np.unique(labels[index], return_inverse=True)
        criteria = compactness(features[index], local, len(classes), max_pairs_points=index.size)
        result[name] = {**verification(features[index], local), "classes": classes.tolist(), "points": int(index.size),
                        **{k: criteria[k] for k in ("max_intra_pair", "min_inter_pair", "criterion_met",
                                                    "robust_criterion_met", "intra_p95", "inter_p5")}}
    return result
