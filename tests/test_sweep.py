"""The margin sweep's set-up and figures: values checked against the loss's declaration, one seed for all."""
import math

import pytest
import torch

from sphereface_viz.sweep import check_values, configs, small_multiples, swept
from sphereface_viz.trainer import Trainer


def test_each_loss_sweeps_its_declared_parameter_and_grid():
    assert (swept("a_softmax").name, swept("a_softmax").grid) == ("m", (1.0, 2.0, 3.0, 4.0))
    assert swept("cosface").grid == (0.0, 0.1, 0.2, 0.35) and swept("arcface").grid == (0.0, 0.1, 0.3, 0.5)
    assert (swept("sv_softmax").name, swept("sv_softmax").grid) == ("t", (1.0, 1.2, 1.4))
    for loss in ("softmax", "modified_softmax"):
        with pytest.raises(ValueError, match="no margin to sweep"):
            swept(loss)


@pytest.mark.parametrize("values, says", [([], "1 to 6"), ([0.5], "m must be >= 1"), ([math.nan], "m must be"),
                                          ([1, 2, 3, 4, 5, 6, 7], "1 to 6"), (["x"], "must be a number")])
def test_bad_values_are_refused_with_what_they_must_be(values, says):
    with pytest.raises(ValueError, match=says):
        check_values("a_softmax", values)


def test_values_sorted_and_distinct_and_the_same_start_for_each():
    assert check_values("cosface", [0.35, 0, 0.1, 0.1]) == [0.0, 0.1, 0.35]
    made = configs("arcface", [0.3, 0.0], dim=3, seed=5, width=4, hparams={"s": 12.0})
    assert list(made) == [0.0, 0.3]
    assert [c.hparams for c in made.values()] == [{"s": 12.0, "m": 0.0}, {"s": 12.0, "m": 0.3}]
    a, b = (Trainer(c) for c in made.values())
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))


def test_small_multiples_give_each_panel_its_own_axes_in_a_row():
    panel = {"data": [{"type": "scatter", "x": [0], "y": [0], "name": "p"}],
             "layout": {"xaxis": {"range": [-1, 1]}, "yaxis": {"range": [-1, 1]}, "title": {"text": ""}}}
    sphere = {"data": [{"type": "scatter3d", "x": [0], "y": [0], "z": [0]}],
              "layout": {"scene": {"camera": {"eye": {"x": 1}}}, "title": {"text": ""}}}
    flat = small_multiples([panel, panel], ["a", "b"])
    assert [(t["xaxis"], t["yaxis"], t["showlegend"]) for t in flat["data"]] == [("x", "y", True), ("x2", "y2", False)]
    assert flat["layout"]["xaxis2"]["domain"][0] > flat["layout"]["xaxis"]["domain"][1]  # side by side
    assert [a["text"] for a in flat["layout"]["annotations"]] == ["a", "b"]
    round_ = small_multiples([sphere] * 3, ["1", "2", "3"])
    assert [t["scene"] for t in round_["data"]] == ["scene", "scene2", "scene3"]
    assert round_["layout"]["scene3"]["camera"] == round_["layout"]["scene"]["camera"]  # one camera for all
