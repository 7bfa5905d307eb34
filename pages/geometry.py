"""Geometry: the theory without training: Table 1, two class vectors and their gap, ψ, target logits,
and SphereFace's Properties 2 and 3."""
import streamlit as st

from pages.ui.help import what_am_i_looking_at
from pages.ui.routing import through_router
from pages.ui.hparams import control
from sphereface_viz.losses import build_loss, loss_class
from sphereface_viz.theory import (PROPERTY_2, PROPERTY_3, psi_figure, separation_figure, table1_markdown,
                                   target_figure, two_vector_figure)

through_router()


def strongest(param, key: str, label: str | None = None) -> float:
    """The parameter's declared control, starting at the largest margin its sweep tries (the curves far apart)."""
    return control(param, key, label=label, value=float(param.grid[-1] if param.grid else param.default))


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
                    format_func=lambda name: loss_class(name).title)
    theta12 = st.slider("Angle θ₁₂ between the class vectors W0 and W1 (degrees)", 20, 170, 90,
                        help="drag right: the two arrows part and the grey gap between them grows in proportion")
    declared = loss_class(loss)
    # every control is the loss's own declaration (range, step, help), at the largest margin its sweep tries
    hparams = {"m": strongest(declared.m, f"geo_m_{loss}")} if "m" in declared.params() else {}
    if loss == "a_softmax":  # a constant λ from the start: the pure loss of Eq. 7 at 0, cos θ blended back in above
        hparams |= {"lambda_base": 0.0, "lambda_min": control(declared.lambda_min, "geo_lambda", value=0.0,
                                                              label="λ (0 = the pure loss of Eq. 7)")}
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
st.plotly_chart(psi_figure(strongest(loss_class("a_softmax").m, "geo_m_psi", label="m for ψ")), width="stretch")

st.subheader("Where each loss puts its margin")
c1, c2, c3 = st.columns(3)
with c1:
    m_a = strongest(loss_class("a_softmax").m, "geo_m_target_a", label="A-Softmax m")
with c2:
    m_arc = strongest(loss_class("arcface").m, "geo_m_target_arc", label="ArcFace m")
with c3:
    m_cos = strongest(loss_class("cosface").m, "geo_m_target_cos", label="CosFace and SV-AM m")
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
st.plotly_chart(separation_figure(strongest(loss_class("a_softmax").m, "geo_m_mark", label="Mark m")),
                width="stretch")
st.caption("The marker: to the right of where the curves cross zero, the criterion holds.")
