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
    trainers = {name: Trainer(c) for name, c in configs(MISSION, dim=3, seed=5, eval_size=50).items()}
    assert list(trainers) == list(MISSION)
    assert trainers["a_softmax"].loss.hparams()["m"] == ANGULAR_M
    assert trainers["arcface"].loss.hparams()["m"] == trainers["sv_softmax"].loss.hparams()["m"] == ADDITIVE_M
    first = trainers["softmax"]
    for trainer in trainers.values():
        assert trainer.config.seed == 5 and trainer.config.dim == 3
        assert all((a == b).all() for a, b in zip(trainer.model.parameters(), first.model.parameters()))
        assert (trainer.eval_labels == first.eval_labels).all()
