"""Geometry: the theory without training: Table 1, two class vectors and their gap, ψ, target logits,
and SphereFace's Properties 2 and 3."""
import math

import streamlit as st

from pages.ui.help import what_am_i_looking_at
from pages.ui.routing import through_router
from sphereface_viz.losses import build_loss
from sphereface_viz.theory import (PROPERTY_2, PROPERTY_3, psi_figure, separation_figure, table1_markdown,
                                   target_figure, two_vector_figure)

through_router()

st.title("The geometry of angular margins")
what_am_i_looking_at("No training here: two class vectors W0 and W1 and the regions each loss gives them, with "
                     "the measured gap beside its closed form. The trained pages draw the same regions for ten "
                     "classes:")
st.caption("No training here: every curve and region is computed from the same loss code the trainer optimises.")

st.subheader("SphereFace's Table 1, extended")
st.markdown(table1_markdown())

st.subheader("Two class vectors and the margin between them")
left, right = st.columns([1, 2], gap="large")
with left:
    loss = st.radio("Loss", ["a_softmax", "arcface", "cosface", "modified_softmax"], horizontal=True,
                    format_func={"a_softmax": "A-Softmax", "arcface": "ArcFace", "cosface": "CosFace",
                                 "modified_softmax": "Modified softmax"}.get)
    theta12 = st.slider("Angle θ₁₂ between the class vectors W0 and W1 (degrees)", 20, 170, 90,
                        help="drag right: the two arrows part and the grey gap between them grows in proportion")
    if loss == "a_softmax":
        m = st.slider("m", 1.0, 6.0, 4.0, 0.1, key="m_a",
                      help="drag right: each class's region shrinks towards its arrow and the grey gap widens")
        lam = st.slider("λ (annealing weight; 0 = the pure loss of Eq. 7)", 0.0, 20.0, 0.0, 0.5,
                        help="drag right: cos θ is blended back in and the grey gap narrows")
        hparams = {"m": m, "lambda_base": 0.0, "lambda_min": lam}
    elif loss == "arcface":
        hparams = {"m": math.radians(st.slider("m (degrees)", 0.0, 60.0, 20.0, 1.0,
                                               help="drag right: the grey gap grows by exactly as much")), "s": 16.0}
    elif loss == "cosface":
        hparams = {"m": st.slider("m (cosine units)", 0.0, 0.8, 0.2, 0.01,
                                  help="drag right: the grey gap widens, faster where the arrows are close"), "s": 16.0}
    else:
        hparams = {}
    figure, measured, predicted = two_vector_figure(loss, theta12, **hparams)
    st.metric("Measured margin gap", f"{measured:.1f}°")
    if predicted is not None:
        formula = {"a_softmax": "(m − 1)/(m + 1) · θ₁₂", "arcface": "m"}.get(loss, "0")
        st.metric(f"Closed form {formula}", f"{predicted:.1f}°")
    elif loss == "a_softmax":
        st.caption("λ > 0 blends cos θ back in: the gap shrinks below (m − 1)/(m + 1) · θ₁₂.")
with right:
    st.plotly_chart(figure, width="stretch", key="two_vectors")

st.subheader("ψ(θ): A-Softmax's monotone extension of cos(mθ)")
st.plotly_chart(psi_figure(st.slider("m for ψ", 1.0, 6.0, 4.0, 0.1, help="drag right: ψ falls sooner, so the "
                                     "target must sit closer to its W to win")), width="stretch")

st.subheader("Where each loss puts its margin")
c1, c2, c3 = st.columns(3)
m_a = c1.slider("A-Softmax m", 1.0, 6.0, 4.0, 0.5, help="drag right: the A-Softmax curve drops sooner")
m_arc = c2.slider("ArcFace m (rad)", 0.0, 1.0, 0.5, 0.05, help="drag right: the ArcFace curve shifts left")
m_cos = c3.slider("CosFace m", 0.0, 0.8, 0.35, 0.05, help="drag right: the CosFace and SV-AM curves move down")
st.plotly_chart(target_figure({
    "A-Softmax ψ(θ)": build_loss("a_softmax", 2, 2, m=m_a, lambda_base=0, lambda_min=0),
    "ArcFace cos(θ + m)": build_loss("arcface", 2, 2, m=m_arc),
    "CosFace cos θ − m": build_loss("cosface", 2, 2, m=m_cos),
    "SV-AM, g(θ) = cos θ − m": build_loss("sv_softmax", 2, 2, m=m_cos, variant="am"),
}), width="stretch")

st.caption("ArcFace steps down at θ = π − m: past it cos(θ + m) would rise again, so the reference code "
           "switches to cos θ − m·sin m to keep the target logit decreasing.")

st.subheader("How large must m be? SphereFace's Properties 2 and 3")
st.markdown(f"The criterion: the largest angle within a class is smaller than the smallest angle between "
            f"classes. Measured from the A-Softmax regions, it first holds at m = 2 + √3 ≈ {PROPERTY_2:.3f} for "
            f"two classes and at m = {PROPERTY_3:g} for many evenly spaced classes: hence the paper's m = 4.")
st.plotly_chart(separation_figure(st.slider("Mark m", 1.0, 6.0, 4.0, 0.1, help="moves the vertical marker: to the "
                                            "right of where the curves cross zero, the criterion holds")),
                width="stretch")
