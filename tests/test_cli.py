"""The CLI end to end, as a user runs it: real processes, exit codes, files written."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sphereface_viz.runio import load_run

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "sphereface_viz", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_a_softmax_m4_on_digits_reaches_97_percent(tmp_path):
    """The engine issue's bar: the default recipe, seed 0, 2-D features."""
    result = cli("train", "--dataset", "digits", "--loss", "a_softmax", "--m", "4", "--dim", "2",
                 "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.97
    assert metrics["hparams"]["m"] == 4 and metrics["config"]["loss"] == "a_softmax"
    assert {"train_seconds", "intra", "inter", "inter_min", "afs", "criterion_met", "robust_criterion_met",
            "train_intra", "hist_same"} <= set(metrics)
    epochs = [h["epoch"] for h in metrics["history"]]
    assert len(epochs) == round(metrics["config"]["epochs"]) and all(b > a for a, b in zip(epochs, epochs[1:]))
    assert {"test_accuracy", "loss", "train_seconds"} <= set(metrics["history"][0])
    run = load_run(tmp_path / "run.npz")
    assert run.features.shape[2] == 2 and len(run.steps) > 10
    for name in ("figure.html", "figure.png", "replay.html"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_mnist_from_shared_folder_trains(tmp_path):
    result = cli("train", "--dataset", "mnist", "--data-dir", str(MNIST), "--loss", "arcface", "--dim", "3",
                 "--epochs", "0.2", "--no-figures", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.8 and metrics["config"]["dataset"] == "mnist"


def test_max_seconds_stops_training(tmp_path):
    result = cli("train", "--loss", "softmax", "--epochs", "1000", "--max-seconds", "2", "--no-figures",
                 "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 2 <= metrics["train_seconds"] < 6 and metrics["epoch"] < 1000


def test_help_documents_every_option():
    out = cli("train", "--help").stdout
    for option in ("--dataset", "--data-dir", "--loss", "--dim", "--m", "--s", "--t", "--variant", "--lr",
                   "--epochs", "--max-seconds", "--seed", "--out", "--holdout", "--detach"):
        assert option in out


@pytest.mark.parametrize("args,message", [
    (["--loss", "nope"], "invalid choice"), (["--dim", "4"], "invalid choice"), (["--m", "abc"], "not a number"),
    (["--m", "0.5"], "m must be >= 1"), (["--loss", "cosface", "--s", "0"], "s must be > 0"),
    (["--loss", "sv_softmax", "--t", "0.5"], "t must be >= 1"), (["--m", "nan"], "must be finite"),
    (["--epochs", "0"], "must be > 0"), (["--loss", "softmax", "--m", "2"], "does not take m"),
    (["--dataset", "kmnist", "--data-dir", "/nonexistent/folder"], "/nonexistent/folder"),
    ([], "--out"),
])
def test_bad_arguments_give_one_readable_line(tmp_path, args, message):
    if "--out" != message:
        args = [*args, "--out", str(tmp_path / "out")]
    result = cli("train", *args, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
