"""A loss's controls, read off its declared hyper-parameters (sphereface_viz.losses.HyperParam): a new
loss or parameter gets its slider here with no edit to any page."""
import streamlit as st

from sphereface_viz.links import Choice, Number
from sphereface_viz.losses import loss_class


def shown(loss: str, live_only: bool = True) -> dict:
    """The declared parameters that have a control in the app (and, by default, change live)."""
    return {k: p for k, p in loss_class(loss).params().items() if p.widget is not None and (p.live or not live_only)}


def control(param, key: str, on_change=None, label: str | None = None, **options):
    """The parameter's slider, select-slider or radio, with its declared label (unless the page names its role
    there), range and help; its value."""
    label = (label or param.label) + (f" ({param.unit})" if param.unit else "")
    common = {"key": key, "on_change": on_change, "help": param.help or None, **options}
    if param.kind is str:
        return st.radio(label, list(param.widget), horizontal=True, **common)
    if isinstance(param.widget, list):
        return st.select_slider(label, param.widget, **common)
    low, high, step = param.widget
    return st.slider(label, float(low), float(high), step=float(step), **common)


def link_control(param):
    """What a link may set the parameter to: what its control offers (sphereface_viz.links)."""
    if param.kind is str or isinstance(param.widget, list):
        return Choice(tuple(param.widget))
    low, high, step = param.widget
    return Number(float(low), float(high), float(step))
