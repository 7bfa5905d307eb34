"""Train: pick a loss, press Train, watch the digits' features settle on the circle or sphere."""
import streamlit as st

from sphereface_viz.losses import LOSSES
from sphereface_viz.plots import feature_figure
from sphereface_viz.trainer import TrainConfig, Trainer

LABELS = {"softmax": "Softmax", "modified_softmax": "Modified softmax", "a_softmax": "A-Softmax (SphereFace)",
          "cosface": "CosFace / AM-Softmax", "arcface": "ArcFace", "sv_softmax": "SV-Softmax"}


def figure(trainer: Trainer):
    snap = trainer.snapshots[-1] if trainer.snapshots else trainer.snapshot()
    return feature_figure(trainer.loss, snap.features, trainer.eval_labels.numpy(), trainer.data.class_names,
                          trainer.seen, title=f"{LABELS[trainer.config.loss]}, step {snap.step}")


st.title("Angular margins, live")
with st.sidebar:
    loss = st.selectbox("Loss", list(LOSSES), index=2, format_func=LABELS.get)
    dim = st.radio("Feature dimension", [2, 3], horizontal=True)
    m = st.slider("Margin m", 1.0, 6.0, 4.0, 0.5) if loss == "a_softmax" else None
    start = st.button("Train", type="primary", use_container_width=True)

if start:
    trainer = Trainer(TrainConfig(loss=loss, dim=dim, m=m, threads=1))
    st.session_state.trainer = trainer
    chart, bar = st.empty(), st.progress(0.0)
    while trainer.step_count < trainer.total_steps and not trainer.stopped:
        trainer.step(trainer.steps_per_epoch)
        bar.progress(min(1.0, trainer.step_count / trainer.total_steps), text=f"epoch {trainer.epoch:.0f}")
        chart.plotly_chart(figure(trainer), use_container_width=True)
    trainer.record()

trainer = st.session_state.get("trainer")
if trainer is None:
    st.info("Choose a loss and press **Train**: a small CNN learns 2-D or 3-D features of the 8×8 digits.")
else:
    if not start:
        st.plotly_chart(figure(trainer), use_container_width=True)
    result = trainer.history[-1] if trainer.history else trainer.record()
    if trainer.stopped:
        st.error(trainer.stopped)
    cols = st.columns(4)
    cols[0].metric("Test accuracy", f"{result['test_accuracy']:.1%}")
    cols[1].metric("Min angle between classes", f"{result['min_inter_angle']:.1f}°")
    cols[2].metric("Max angle within a class", f"{result['max_intra_angle_all']:.1f}°")
    cols[3].metric("SphereFace criterion", "met" if result["criterion_met"] else "not met")
