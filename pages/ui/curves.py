"""The Train page's history charts and its per-class and open-set panels: they move slowly, so while playing they
rerun once a second in a fragment of their own (`curves`), not with each frame of the live view (~30 ms of browser
each)."""
import streamlit as st
import torch

from pages.ui.live_chart import live_chart
from pages.ui.open_set import verification_panel
from sphereface_viz import live
from sphereface_viz.compactness import confusion
from sphereface_viz.plots import confusion_figure, history_figure, to_json
from sphereface_viz.trainer import Trainer

CURVE_ANGLES = {"intra": "Intra (test)", "train_intra": "Intra (train)", "inter_min": "min Inter"}
state = st.session_state


def record_curve(view: live.View) -> None:
    """One row of the history charts per step drawn (at most one a second while playing)."""
    status, scores = view.moment.status, view.scores
    if not state.curve or state.curve[-1]["step"] != status["step"]:
        del state.curve[:-2000]  # bounded memory per session
        state.curve.append({"step": status["step"], "loss": status["loss"], "train accuracy": status["train_accuracy"],
                            "test accuracy": scores["test_accuracy"], **{k: scores.get(k) for k in CURVE_ANGLES}})


def history_chart() -> None:
    """Loss, accuracy and angles against the step: a plotly dict redrawn in place (st.line_chart's Altair
    validation cost 40% of a redraw)."""
    curve = state.curve[-400:]
    if len(curve) < 2:
        state.history = None
        return
    column = {key: [row[key] for row in curve] for key in curve[0]}
    accuracies = {k: column[k] for k in ("train accuracy", "test accuracy")}
    angles = {label: column[k] for k, label in CURVE_ANGLES.items()}
    state.history = to_json(history_figure(column["step"], column["loss"], accuracies, angles))
    live_chart(state.history, key="history", height=200)


def curves() -> None:
    """The history and the confusion panel of the session's trainer and view."""
    if state.live.moment is not None:  # while playing, the view's frames are fetched without a run of the page
        record_curve(state.live)
    history_chart()
    if state.live.moment is not None:
        confusion_panel(state.trainer, state.live.moment)
        verification_panel(state.trainer, state.live.moment)


def confusion_panel(trainer: Trainer, moment) -> None:
    """Per-class accuracy and the confusion matrix of the test images, at each new embedding of them; drawn
    only while the panel is open."""
    panel = st.expander("Per-class accuracy and confusion", key="confusion_panel", on_change="rerun")
    if not panel.open:
        return
    snap = moment.snap
    if state.get("confusion_of") != (id(trainer), snap.step):
        with torch.no_grad():
            predicted = moment.loss.logits(torch.from_numpy(snap.features)).argmax(dim=1)
        counts = confusion(predicted, trainer.remap[trainer.eval_labels], len(trainer.seen))
        names = [trainer.data.class_names[c] for c in trainer.seen]
        state.confusion, state.confusion_of = to_json(confusion_figure(counts, names, snap.step)), (id(trainer), snap.step)
    with panel:
        live_chart(state.confusion, key="confusion", height=330)

