"""The Streamlit app, driven by AppTest (no browser): widgets present, training runs, no exception."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_train_page_trains_and_reports():
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=240)
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox[0].value == "a_softmax"
    at.sidebar.selectbox[0].set_value("softmax")
    at.sidebar.button[0].click()
    at.run()
    assert not at.exception
    trainer = at.session_state["trainer"]
    assert trainer.config.loss == "softmax" and trainer.step_count == trainer.total_steps
    labels = [m.label for m in at.metric]
    assert "Test accuracy" in labels and "SphereFace criterion" in labels
    accuracy = float(at.metric[0].value.rstrip("%")) / 100
    assert accuracy == trainer.history[-1]["test_accuracy"] or abs(accuracy - trainer.history[-1]["test_accuracy"]) < 1e-3


def test_router_runs():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
