import torch

from sphereface_viz.compare import ADDITIVE_M, ANGULAR_M, MISSION, configs, margins
from sphereface_viz.losses import LOSSES
from sphereface_viz.trainer import Trainer


def test_each_kind_of_margin_gets_its_own_slider():
    assert margins("a_softmax", 3.0, 0.2) == {"m": 3.0}  # multiplies θ
    for name in ("cosface", "arcface", "sv_softmax"):
        assert margins(name, 3.0, 0.2) == {"m": 0.2}  # added
    assert margins("softmax", 3.0, 0.2) == margins("modified_softmax", 3.0, 0.2) == {}
    assert set(MISSION) <= set(LOSSES)


def test_every_loss_starts_from_the_same_weights_data_and_slider_values():
    # Slider values no loss has as its own default (A-Softmax's m is 4, SV-Softmax's 0.1, ArcFace's 0.15),
    # so each loss's m can only come from the sliders.
    trainers = {name: Trainer(c) for name, c in
                configs(MISSION, dim=3, seed=5, angular=2.5, additive=0.35, eval_size=50).items()}
    assert list(trainers) == list(MISSION)
    assert trainers["a_softmax"].loss.m == 2.5
    assert trainers["arcface"].loss.m == trainers["sv_softmax"].loss.m == 0.35
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


def test_the_sliders_start_at_the_pages_margins():
    # A-Softmax's m = 4 (the SphereFace paper's), and m = 0.1 for the additive margins (docs/recipes.md).
    assert (ANGULAR_M, ADDITIVE_M) == (4.0, 0.1)
    default = configs(MISSION)
    assert default["a_softmax"].hparams == {"m": 4.0}
    assert default["arcface"].hparams == default["sv_softmax"].hparams == {"m": 0.1}  # not ArcFace's own 0.15
    assert default["softmax"].hparams == default["modified_softmax"].hparams == {}


def test_the_shared_sliders_offer_what_the_losses_declare():
    from sphereface_viz.compare import ADDITIVE_RANGE, ANGULAR_RANGE
    from sphereface_viz.losses import LOSSES

    assert ANGULAR_RANGE == LOSSES["a_softmax"].params()["m"].widget == (1.0, 6.0, 0.1)
    for name in ("cosface", "arcface", "sv_softmax"):  # every loss the additive slider sets
        assert LOSSES[name].params()["m"].widget == ADDITIVE_RANGE == (0.0, 0.8, 0.01)
