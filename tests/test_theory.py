"""Theory figures: measured gaps against the closed forms of docs/math.md, Properties 2 and 3 from the regions."""
import math

import numpy as np
import pytest

from sphereface_viz.theory import (PROPERTY_2, TABLE1, even_loss, psi_figure, separation, separation_curves,
                                   table1_markdown, target_figure, two_class_loss, two_vector_figure)
from sphereface_viz.losses import build_loss

PURE = {"lambda_base": 0.0, "lambda_min": 0.0}


@pytest.mark.parametrize("theta12", [60, 90, 120])
@pytest.mark.parametrize("m", [2, 3, 4])
def test_a_softmax_gap_is_m_minus_1_over_m_plus_1(theta12, m):
    _, measured, predicted = two_vector_figure("a_softmax", theta12, m=m, **PURE)
    assert predicted == pytest.approx((m - 1) / (m + 1) * theta12)
    assert measured == pytest.approx(predicted, abs=0.05)


def test_arcface_gap_is_m():
    _, measured, predicted = two_vector_figure("arcface", 70, m=0.4)
    assert measured == pytest.approx(math.degrees(0.4), abs=0.05) and predicted == pytest.approx(math.degrees(0.4))


def test_modified_softmax_has_no_gap_and_cosface_has_no_closed_form():
    assert two_vector_figure("modified_softmax", 80)[1] == pytest.approx(0, abs=0.05)
    assert two_vector_figure("cosface", 80, m=0.2)[2] is None


def test_property_2_crossing_at_two_plus_root_three():
    below = separation(two_class_loss("a_softmax", 90, m=PROPERTY_2 - 0.05, **PURE))
    above = separation(two_class_loss("a_softmax", 90, m=PROPERTY_2 + 0.05, **PURE))
    assert below[0] > below[1] and above[0] < above[1]
    # closed form: max intra = θ12 (1/(m+1) + 1/(m−1)), min inter = θ12 (m−1)/(m+1)
    m = 4
    intra, inter = separation(two_class_loss("a_softmax", 90, m=m, **PURE))
    assert intra == pytest.approx(90 * (1 / (m + 1) + 1 / (m - 1)), abs=0.2)
    assert inter == pytest.approx(90 * (m - 1) / (m + 1), abs=0.2)


def test_property_3_crossing_at_three_for_even_classes():
    curves = separation_curves((2.8, 3.2), 10)
    assert curves["many"][0] > 1 > curves["many"][1]
    intra, inter = separation(even_loss("a_softmax", 10, m=4, **PURE))
    assert intra == pytest.approx(2 * 36 / 5, abs=0.2) and inter == pytest.approx(3 / 5 * 36, abs=0.2)


def test_psi_figure_curves_are_decreasing_and_include_the_chosen_m():
    fig = psi_figure(2.5)
    names = [t["name"] for t in fig["data"]]
    assert names == ["m = 1", "m = 2", "m = 2.5 (chosen)", "m = 3", "m = 4"]
    for t in fig["data"]:
        assert np.all(np.diff(t["y"]) <= 1e-9)


def test_target_figure_uses_each_loss():
    losses = {"ArcFace": build_loss("arcface", 2, 2, m=0.5), "CosFace": build_loss("cosface", 2, 2, m=0.35)}
    fig = target_figure(losses)
    arc = next(t for t in fig["data"] if t["name"] == "ArcFace")
    k = int(np.argmin(np.abs(np.asarray(arc["x"]) - 60)))
    assert arc["y"][k] == pytest.approx(math.cos(math.radians(arc["x"][k]) + 0.5), abs=1e-6)
    cos = next(t for t in fig["data"] if t["name"] == "CosFace")
    assert cos["y"][k] == pytest.approx(math.cos(math.radians(cos["x"][k])) - 0.35, abs=1e-6)


def test_table1_has_every_loss():
    assert [row[0] for row in TABLE1] == ["Softmax", "Modified softmax", "A-Softmax", "CosFace", "ArcFace", "SV-X"]
    assert table1_markdown().count("\n") == len(TABLE1) + 1
