"""A run's configuration and schedule: recipes fill what is not given, impossible values are refused,
and the learning-rate factors follow their closed forms."""
import pytest

from sphereface_viz.recipe import RECIPES, REWARM_LENGTH, REWARM_PEAK, TrainConfig, one_cycle, rewarm


def test_recipes_fill_only_what_is_not_given():
    assert TrainConfig(loss="arcface").lr == RECIPES["scaled"]["lr"]
    assert TrainConfig(loss="a_softmax").weight_decay == RECIPES["norm"]["weight_decay"]
    assert TrainConfig(loss="arcface", lr=0.3).lr == 0.3


@pytest.mark.parametrize("kw,message", [
    ({"dim": 4}, "dim must be 2 or 3"), ({"epochs": 0}, "epochs must be"), ({"lr": -1}, "lr must be"),
    ({"loss": "nope"}, "unknown loss"), ({"batch_size": 1}, "batch_size"), ({"lr": float("nan")}, "lr must be"),
    ({"clip": -1}, "clip must be >= 0"), ({"clip": float("inf")}, "clip must be >= 0"),
    # the caps of sphereface_viz.limits: a browser or URL can send any number
    ({"width": 65}, "width must be a whole number from 1 to 64"), ({"batch_size": 1025}, "batch_size"),
    ({"eval_size": 10_001}, "eval_size must be a whole number from 1 to 10,000"), ({"epochs": 200.5}, "at most 200"),
    ({"max_snapshots": 401}, "max_snapshots"), ({"seed": -1}, "seed"), ({"seed": 2**32}, "seed"),
    ({"width": 16.5}, "width must be a whole number"), ({"eval_size": True}, "eval_size"),
])
def test_impossible_configs(kw, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kw)


def test_one_cycle_shape():
    assert one_cycle(0) == pytest.approx(0.1) and one_cycle(0.15) == pytest.approx(1.0)
    assert one_cycle(1.0) == pytest.approx(0.02) and one_cycle(3.0) == pytest.approx(0.02)


def test_a_rewarm_starts_at_its_peak_and_falls_by_a_half_cosine_to_the_floor():
    assert rewarm(0) == pytest.approx(REWARM_PEAK)
    # halfway: 0.02 + (peak − 0.02)·(1 + cos(π/2))/2
    assert rewarm(REWARM_LENGTH / 2) == pytest.approx(0.02 + (REWARM_PEAK - 0.02) / 2)
    assert rewarm(REWARM_LENGTH) == 0.0  # over: the one-cycle schedule's floor takes over again


def test_a_config_round_trips_through_a_run_file_dict():
    config = TrainConfig(loss="cosface", dim=3, hparams={"m": 0.2}, holdout=(9, 3))
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert config.holdout == (3, 9) and config.live == {"m", "s", "lr"}


def test_a_configs_hyper_parameters_cannot_change_after_it_is_made():
    """A config is frozen, its hyper-parameters too: a run's key and its file say what it was built with."""
    config = TrainConfig(loss="cosface", hparams={"m": 0.2})
    with pytest.raises(TypeError):
        config.hparams["m"] = 0.3
    assert config.hparams["m"] == 0.2 and config.to_dict()["hparams"] == {"m": 0.2}
