"""compactness.py against hand-computed angles, a hand-computed Angular Fisher Score, and an
independent double loop over all pairs."""
import json
import math

import numpy as np
import pytest
import torch

from sphereface_viz.compactness import compactness

KEYS = {"intra", "inter", "inter_min", "afs", "max_intra_pair", "min_inter_pair", "criterion_met", "intra_p95",
        "inter_p5", "robust_criterion_met", "hist_edges", "hist_same", "hist_different"}


def at(degrees, norms=None):
    """2-D features at the given angles (degrees), with the given lengths."""
    t = np.radians(np.asarray(degrees, dtype=np.float64))
    r = np.ones_like(t) if norms is None else np.asarray(norms, dtype=np.float64)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


def same_result(a, b):
    assert a.keys() == b.keys() == KEYS
    for key in KEYS:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-9, err_msg=key)


def test_two_classes_in_2d_hand_computed():
    # class 0 at ±10° around 0°, class 1 at ±20° around 90°; lengths vary, only directions count
    x = torch.tensor(at([10, -10, 70, 110], norms=[1.0, 3.0, 0.5, 7.0]))
    r = compactness(x, torch.tensor([0, 0, 1, 1]), 2, bins=8)
    assert r.keys() == KEYS
    assert r["intra"] == pytest.approx((10 + 20) / 2)
    assert r["inter"] == pytest.approx(90) and r["inter_min"] == pytest.approx(90)
    # same pairs: 20° (10, -10) and 40° (70, 110); different pairs: 60, 100, 80, 120
    assert r["max_intra_pair"] == pytest.approx(40) and r["min_inter_pair"] == pytest.approx(60)
    assert r["criterion_met"] is True
    # numpy's linear percentile: position 0.95·(2−1) between 20 and 40; 0.05·(4−1) between 60 and 80
    assert r["intra_p95"] == pytest.approx(20 + 0.95 * 20)
    assert r["inter_p5"] == pytest.approx(60 + 0.15 * 20)
    assert r["robust_criterion_met"] is True
    # 8 bins of 22.5°: 20→0, 40→1; 60→2, 80→3, 100→4, 120→5
    assert r["hist_edges"] == pytest.approx([22.5 * k for k in range(9)])
    assert r["hist_same"] == pytest.approx([0.5, 0.5, 0, 0, 0, 0, 0, 0])
    assert r["hist_different"] == pytest.approx([0, 0, 0.25, 0.25, 0.25, 0.25, 0, 0])


def test_result_is_plain_json():
    r = compactness(at([10, -10, 70, 110]), np.array([0, 0, 1, 1]), 2)
    assert len(r["hist_edges"]) == 37 and len(r["hist_same"]) == len(r["hist_different"]) == 36
    assert sum(r["hist_same"]) == pytest.approx(1) and sum(r["hist_different"]) == pytest.approx(1)
    for key, value in r.items():
        if key.endswith("_met"):
            assert type(value) is bool, key
        elif key.startswith("hist"):
            assert type(value) is list and all(type(v) is float for v in value), key
        else:
            assert type(value) is float, key          # not np.float64
    json.dumps(r)


def test_angular_fisher_score_by_hand():
    # class 0 at ±30°, class 1 a single feature at 90°
    r = compactness(at([30, -30, 90], norms=[2.0, 1.0, 5.0]), np.array([0, 0, 1]), 2)
    # centres: m_0 = 0°, m_1 = 90°; sum of unit features = (2·cos30°, 0 + 1) = (√3, 1), so m = 30°
    cos30, cos60 = math.sqrt(3) / 2, 0.5           # 0.8660254..., 0.5
    s_w = (1 - cos30) + (1 - cos30) + (1 - 1.0)    # each feature against its centre: 30°, 30°, 0°
    s_b = 2 * (1 - cos30) + 1 * (1 - cos60)        # m_0 is 30° from m, m_1 is 60° from m
    assert s_w == pytest.approx(0.2679492, abs=1e-7) and s_b == pytest.approx(0.7679492, abs=1e-7)
    assert r["afs"] == pytest.approx(s_w / s_b)
    assert r["afs"] == pytest.approx(0.3489153, abs=1e-7)


def outlier_set(with_outlier: bool):
    degrees = list(np.linspace(-10, 10, 30)) + list(np.linspace(80, 100, 30))
    labels = [0] * 30 + [1] * 30
    if with_outlier:                                # a class-0 feature deep inside class 1
        degrees, labels = degrees + [85.0], labels + [0]
    return at(degrees), np.array(labels)


def test_one_outlier_decides_sphereface_criterion_but_not_the_robust_one():
    clean = compactness(*outlier_set(False), 2)
    assert clean["criterion_met"] and clean["robust_criterion_met"]
    assert clean["max_intra_pair"] == pytest.approx(20) and clean["min_inter_pair"] == pytest.approx(70)

    r = compactness(*outlier_set(True), 2)
    assert r["max_intra_pair"] == pytest.approx(95)     # outlier (85°) against −10°
    assert r["min_inter_pair"] < 1                      # outlier against its nearest class-1 feature
    assert r["criterion_met"] is False
    # its 30 pairs of each kind are under 5% of the 900 same / 930 different pairs
    assert r["intra_p95"] <= 20 + 1e-9 and r["inter_p5"] >= 70 - 1e-9
    assert r["robust_criterion_met"] is True

    # pair statistics only see the first max_pairs_points features: the outlier is the 61st
    first = compactness(*outlier_set(True), 2, max_pairs_points=60)
    assert first["criterion_met"] is True and first["max_intra_pair"] == pytest.approx(20)
    assert first["intra"] == pytest.approx(r["intra"])  # class statistics still use every feature


def test_ignored_labels_and_absent_classes():
    x, y = at([10, -10, 70, 110], norms=[1.0, 3.0, 0.5, 7.0]), np.array([0, 0, 1, 1])
    base = compactness(x, y, 2)
    # unseen-class features (label −1), one of them zero, anywhere in the input; classes 2, 3 absent
    noisy_x = np.concatenate([at([45, 200]), x[:2], np.zeros((1, 2)), x[2:]])
    noisy_y = np.array([-1, -1, 0, 0, -1, 1, 1])
    same_result(compactness(noisy_x, noisy_y, 4), base)
    # an absent class in the middle: relabel class 1 as class 2
    same_result(compactness(x, np.array([0, 0, 2, 2]), 3), base)


def test_single_class_has_no_inter_statistics():
    r = compactness(at([10, -10, 30]), np.array([1, 1, 1]), 3)
    assert r["intra"] == pytest.approx((20 + 0 + 20) / 3)    # −10° and 30° mirror about 10°: the centre
    for key in ("inter", "inter_min", "min_inter_pair", "inter_p5"):
        assert math.isnan(r[key]), key
    assert r["criterion_met"] is False and r["robust_criterion_met"] is False
    assert r["max_intra_pair"] == pytest.approx(40)
    assert r["hist_different"] == [0.0] * 36
    assert r["afs"] == math.inf                            # S_b = 0: every centre is m


def test_zero_feature_does_not_give_nan():
    # the zero vector normalises to zero: cosine 0, angle 90° to the centre (which is 0° here)
    r = compactness(np.array([[2.0, 0.0], [0.0, 0.0]]), np.array([0, 0]), 1)
    assert r["intra"] == pytest.approx((0 + 90) / 2)
    assert r["max_intra_pair"] == pytest.approx(90)
    assert not any(math.isnan(r[k]) for k in ("intra", "max_intra_pair", "intra_p95"))


def test_3d_known_angles():
    s = 1 / math.sqrt(2)
    x = np.array([[1, 0, 0], [0, 1, 0],              # class 0: centre (1, 1, 0)/√2, both 45° from it
                  [0, 0, 3], [0, 0, 0.2],            # class 1: both on +z, 0° from the centre
                  [-4 * s, -4 * s, 0]])              # class 2: opposite class 0's centre
    r = compactness(x, np.array([0, 0, 1, 1, 2]), 3)
    assert r["intra"] == pytest.approx((45 + 0 + 0) / 3)
    # centre angles: 0–1 90°, 0–2 180°, 1–2 90°
    assert r["inter"] == pytest.approx((90 + 180 + 90) / 3) and r["inter_min"] == pytest.approx(90)
    # same pairs 90° (x, y) and 0° (z, z); different pairs 90° (x/y/c2 with z) and 135° (x or y with c2)
    assert r["max_intra_pair"] == pytest.approx(90) and r["min_inter_pair"] == pytest.approx(90)
    assert r["criterion_met"] is False                 # a tie is not separation
    assert r["intra_p95"] == pytest.approx(0 + 0.95 * 90)
    # 8 different pairs: six at 90°, two at 135°; position 0.05·7 lies between two 90° pairs
    assert r["inter_p5"] == pytest.approx(90)
    assert sorted(r["hist_different"], reverse=True)[:2] == pytest.approx([6 / 8, 2 / 8])


def test_pair_statistics_match_a_double_loop():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(60, 3)) * rng.uniform(0.1, 10, size=(60, 1))
    y = rng.integers(-1, 4, size=60)
    r = compactness(torch.tensor(x), torch.tensor(y), 5, max_pairs_points=40, bins=12)

    # truth: the first 40 labelled features, every pair i < j, angles by arccos one at a time
    kept = [(f, c) for f, c in zip(x, y) if c >= 0][:40]
    same, different = [], []
    for i in range(len(kept)):
        for j in range(i + 1, len(kept)):
            (a, ca), (b, cb) = kept[i], kept[j]
            cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
            (same if ca == cb else different).append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    assert r["intra_p95"] == pytest.approx(np.percentile(same, 95), abs=1e-9)
    assert r["inter_p5"] == pytest.approx(np.percentile(different, 5), abs=1e-9)
    assert r["max_intra_pair"] == pytest.approx(max(same), abs=1e-9)
    assert r["min_inter_pair"] == pytest.approx(min(different), abs=1e-9)
    edges = np.linspace(0, 180, 13)
    assert r["hist_same"] == pytest.approx(np.histogram(same, edges)[0] / len(same))
    assert r["hist_different"] == pytest.approx(np.histogram(different, edges)[0] / len(different))


def test_labels_beyond_num_classes_are_rejected():
    with pytest.raises(ValueError, match="num_classes"):
        compactness(at([0, 90]), np.array([0, 2]), 2)
