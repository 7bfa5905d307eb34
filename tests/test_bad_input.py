"""Bad input end to end: the CLI exits non-zero with one readable line, the app shows the message and
stays usable, and nothing is lost. The parameter faults of the CLI are in test_cli.py; the module-level
checks of each data and run-file fault are in test_data.py and test_runio.py."""
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from devtools.idxfiles import corrupt, write_set

from sphereface_viz.runio import load_run

ROOT = Path(__file__).resolve().parents[1]

# (how the folder is spoiled, what the message must say)
DATA_FAULTS = [
    ("truncated", "truncated"), ("not-gzip-not-idx", "not an IDX file"), ("broken-gzip", "cannot read"),
    ("wrong-magic", "bad magic"), ("wrong-dimension", "expected 3 dimension"), ("trailing", "trailing bytes"),
    ("empty", "not an IDX file"), ("wrong-count", "20 images but"), ("label-range", "labels must be in 0..9"),
    ("missing", "could not be downloaded"),
]


def spoil(folder: Path, how: str) -> Path:
    if how == "missing":
        return folder / "absent"
    if how == "wrong-count":
        write_set(folder, labels=np.zeros(19))
    elif how == "label-range":
        write_set(folder, labels=np.full(20, 12))
    else:
        write_set(folder)
        corrupt(folder, how)
    return folder


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sphereface_viz", "train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "SPHEREFACE_VIZ_OFFLINE": "1"})


@pytest.mark.parametrize("how,message", DATA_FAULTS)
def test_cli_bad_data_one_line(tmp_path, how, message):
    folder = spoil(tmp_path / "data", how)
    result = cli("--dataset", "mnist", "--data-dir", str(folder), "--out", str(tmp_path / "out"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert message in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_cli_diverging_learning_rate_keeps_the_last_good_state(tmp_path):
    result = cli("--loss", "modified_softmax", "--lr", "1e12", "--epochs", "1", "--no-figures", "--out", str(tmp_path))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and "smaller learning rate" in lines[0], result.stderr
    run = load_run(tmp_path / "run.npz")  # the last good state, exported
    assert np.isfinite(run.features).all() and np.isfinite(run.weights).all()
    assert "smaller learning rate" in json.loads((tmp_path / "metrics.json").read_text())["stopped"]


def train_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=120)
    at.run()
    assert not at.exception
    return at


def step(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Step").click().run()


def test_app_shows_every_data_fault_and_keeps_training(tmp_path, monkeypatch):
    at = train_page()
    trainer = at.session_state["trainer"]
    for k, (how, message) in enumerate(DATA_FAULTS):
        root = tmp_path / f"data{k}"  # the server's data folder ($SPHEREFACE_VIZ_DATA), spoiled
        spoil(root / "mnist", how)
        monkeypatch.setenv("SPHEREFACE_VIZ_DATA", str(root))
        at.sidebar.selectbox(key="dataset").set_value("mnist").run()
        assert not at.exception
        shown = [e.value for e in at.error if message in e.value]
        assert shown, (how, [e.value for e in at.error])
        assert str(tmp_path) not in shown[0]  # no server path reaches the page (at most <data>/mnist/...)
        assert at.session_state["trainer"] is trainer  # the digits run is kept
        at.sidebar.selectbox(key="dataset").set_value("digits").run()  # a fresh digits run, for the next fault
        trainer = at.session_state["trainer"]
    step(at)
    assert not at.exception and trainer.step_count == 1


def evil_pickle(marker: Path) -> bytes:
    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    return pickle.dumps(Boom())


def test_app_refuses_bad_run_files_and_runs_no_code(tmp_path, crafted_run_file):
    at = train_page()
    at.session_state["replay_panel"] = True  # the uploader is in it, drawn only when it is open
    at.run()
    marker = tmp_path / "pwned"
    good = io.BytesIO()
    np.savez(good, x=np.zeros(3))
    object_array = io.BytesIO()
    np.savez(object_array, meta=np.array([{"a": 1}], dtype=object))
    uploads = {"truncated": (good.getvalue()[:40], "not a readable run file"),
               "wrong kind": (good.getvalue(), "a run holds meta"),
               "declaring 1.2 GB": (crafted_run_file.read_bytes(), "beyond the largest a run has"),
               "text": (b"hello", "not a run file"),
               "object array": (object_array.getvalue(), "Python objects"),
               "pickle carrying code": (evil_pickle(marker), "not a run file")}
    for name, (content, message) in uploads.items():
        at.file_uploader[0].set_value(("run.npz", content, "application/octet-stream")).run()
        assert not at.exception, name
        assert any(e.value.startswith("run.npz: ") and message in e.value for e in at.error), \
            (name, [e.value for e in at.error])
    assert not marker.exists()
    step(at)
    assert not at.exception and at.session_state["trainer"].step_count == 1


def test_app_diverging_learning_rate_stops_keeps_and_resumes():
    at = train_page()
    trainer = at.session_state["trainer"]
    step(at)
    trainer.snapshot()  # a good state to fall back to
    trainer.set_live(lr=1e12)
    for _ in range(3):
        trainer.step(1)
    assert trainer.stopped and "last good state (step 1)" in trainer.stopped and trainer.step_count == 1
    at.run()
    assert any("smaller learning rate" in e.value for e in at.error)
    assert next(b for b in at.button if b.label == "Step").disabled
    assert all(np.isfinite(p.detach().numpy()).all() for p in trainer.parameters())
    at.sidebar.select_slider(key="lr").set_value(0.01).run()  # the fix, live
    assert not at.exception and trainer.stopped is None and trainer.peak_lr == 0.01
    step(at)
    assert trainer.step_count == 2 and not any("smaller learning rate" in e.value for e in at.error)
