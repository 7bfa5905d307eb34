import torch

from sphereface_viz.compare import MISSION, configs, margin
from sphereface_viz.losses import LOSSES
from sphereface_viz.trainer import Trainer


def test_each_margin_loss_has_its_own_m_as_it_declares_it():
    """Their units differ (A-Softmax multiplies θ, CosFace's m is in cosine units, ArcFace's in radians), so no
    slider is shared: each m is the loss's own declaration."""
    assert set(MISSION) <= set(LOSSES)
    assert margin("softmax") is margin("modified_softmax") is None
    assert (margin("a_softmax").default, margin("a_softmax").widget) == (4.0, (1.0, 6.0, 0.1))
    assert (margin("cosface").default, margin("arcface").default, margin("sv_softmax").default) == (0.1, 0.15, 0.1)
    for name in ("cosface", "arcface", "sv_softmax"):
        assert margin(name).widget == (0.0, 0.8, 0.01)


def test_every_loss_starts_from_the_same_weights_data_and_slider_values():
    # Slider values no loss has as its own default (A-Softmax's m is 4, SV-Softmax's 0.1, ArcFace's 0.15),
    # so each loss's m can only come from its slider.
    trainers = {name: Trainer(c) for name, c in configs(
        MISSION, dim=3, seed=5, margins={"a_softmax": 2.5, "arcface": 0.35, "sv_softmax": 0.3}, eval_size=50).items()}
    assert list(trainers) == list(MISSION)
    assert (trainers["a_softmax"].loss.m, trainers["arcface"].loss.m, trainers["sv_softmax"].loss.m) == (2.5, 0.35, 0.3)
    first = trainers["softmax"]
    weights = [p.detach().clone() for p in first.model.parameters()]
    assert weights and any(w.abs().sum() > 0 for w in weights)
    for trainer in trainers.values():
        assert trainer.config.seed == 5 and trainer.config.dim == 3
        theirs = list(trainer.model.parameters())
        assert len(theirs) == len(weights) and all(torch.equal(a, b) for a, b in zip(theirs, weights))
        assert torch.equal(trainer.eval_labels, first.eval_labels)
    other_seed = Trainer(configs(["softmax"], dim=3, seed=6, eval_size=50)["softmax"])
    assert not all(torch.equal(a, b) for a, b in zip(other_seed.model.parameters(), weights))  # the seed decides


def test_without_a_slider_value_each_margin_loss_starts_at_its_own_default():
    default = configs(MISSION)
    assert {name: Trainer(config).loss.m for name, config in default.items() if margin(name)} == \
        {"a_softmax": 4.0, "arcface": 0.15, "sv_softmax": 0.1}
    assert default["softmax"].hparams == default["modified_softmax"].hparams == {}
