"""Verification (sphereface_viz.verification) against pairs counted by hand and a brute-force AUC."""
import math
import subprocess
import sys

import numpy as np
import pytest

from sphereface_viz.verification import ROC_POINTS, open_set, verification


def on_circle(degrees):
    radians = np.radians(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1)


def test_four_points_counted_by_hand():
    """a at 0° and 20°, b at 90° and 30°. Same pairs: cos 20° (0.940), cos 60° (0.5). Different pairs: cos 90° (0),
    cos 30° (0.866), cos 70° (0.342), cos 10° (0.985).
    AUC: 0.940 beats 3 of the 4 different pairs, 0.5 beats 2: 5/8.
    FAR ≤ 1% of 4 different pairs means none accepted: a threshold above 0.985, so TAR 0.
    Accuracy: t ∈ (0.342, 0.5] accepts both same and 0.866, 0.985: 4 of 6 right; no threshold does better."""
    result = verification(on_circle([0, 20, 90, 30]), np.array([0, 0, 1, 1]))
    assert (result["pairs_same"], result["pairs_different"]) == (2, 4)
    assert result["auc"] == pytest.approx(5 / 8)
    assert result["tar_at_far"] == 0.0
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert sum(result["hist_same"]) == pytest.approx(1) and sum(result["hist_different"]) == pytest.approx(1)
    # cos 0.5 lies in the bin (0.5, 0.55] or [0.45, 0.5]: the histogram's edges are 0.05 apart from −1
    assert result["hist_same"][np.searchsorted(result["hist_edges"], 0.9397) - 1] == 0.5


def brute_auc(same, different):
    """Mann-Whitney: the share of (same, different) pairs of pairs where the same pair's cosine is larger, ties ½."""
    s, d = np.asarray(same)[:, None], np.asarray(different)[None, :]
    return float(((s > d) + 0.5 * (s == d)).mean())


def test_auc_tar_and_accuracy_agree_with_brute_force_on_random_features():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 120)
    features = on_circle(labels * 90 + rng.normal(0, 40, labels.size))  # four classes, overlapping
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    cos = unit @ unit.T
    i, j = np.triu_indices(labels.size, 1)
    same, different = cos[i, j][labels[i] == labels[j]], cos[i, j][labels[i] != labels[j]]
    result = verification(features, labels)
    assert result["auc"] == pytest.approx(brute_auc(same, different), abs=1e-12)
    thresholds = np.r_[np.unique(np.r_[same, different]), np.inf]
    tar = np.array([(same >= t).mean() for t in thresholds])
    far = np.array([(different >= t).mean() for t in thresholds])
    assert result["tar_at_far"] == pytest.approx(tar[far <= 0.01].max())
    right = [((same >= t).sum() + (different < t).sum()) / (same.size + different.size) for t in thresholds]
    assert result["accuracy"] == pytest.approx(max(right))
    assert len(result["roc_far"]) == len(result["roc_tar"]) == ROC_POINTS
    assert result["roc_tar"][-1] == 1.0 and all(np.diff(result["roc_tar"]) >= 0)


def test_classes_at_distinct_points_verify_perfectly_and_one_class_has_no_measure():
    labels = np.repeat([0, 1, 2], 5)
    perfect = verification(on_circle(labels * 120.0), labels)  # closed form: every same pair cos 1, different −½
    assert (perfect["auc"], perfect["tar_at_far"], perfect["accuracy"]) == (1.0, 1.0, 1.0)
    alone = verification(on_circle(np.zeros(5)), np.zeros(5, dtype=int))
    assert alone["pairs_different"] == 0 and math.isnan(alone["auc"]) and math.isnan(alone["accuracy"])


def test_open_set_splits_held_out_from_trained_classes_with_the_criteria():
    # seen 0, 1 far apart and tight; held out 2, 3 on top of each other: seen verify, unseen cannot
    labels = np.repeat([0, 1, 2, 3], 20)
    angle = np.select([labels == 0, labels == 1], [0.0, 180.0], 90.0) + np.tile(np.linspace(-1, 1, 20), 4)
    result = open_set(on_circle(angle), labels, seen=[0, 1])
    assert result["seen"]["classes"] == [0, 1] and result["unseen"]["classes"] == [2, 3]
    assert result["seen"]["auc"] == 1.0 and result["seen"]["criterion_met"]
    assert result["unseen"]["auc"] < 0.6 and not result["unseen"]["criterion_met"]
    assert open_set(on_circle(angle), labels, seen=[0, 1, 2])["unseen"] is None  # one class: no pairs to tell apart
    capped = open_set(on_circle(angle), labels, seen=[0, 1], max_points=10)
    assert capped["seen"]["points"] == 10
    assert list(open_set(on_circle(angle), labels, seen=[0, 1], sets=("unseen",))) == ["unseen"]


def test_scikit_learn_waits_for_the_first_verification():
    code = ("import sys, sphereface_viz.verification as v; assert 'sklearn' not in sys.modules; "
            "v.verification([[1, 0], [0, 1], [1, 0.1]], [0, 1, 0]); assert 'sklearn' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
