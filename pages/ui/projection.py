"""How a 3-D page draws its sphere: a globe to turn, or Hammer's equal-area map of all of it (link key `view`)."""
import streamlit as st

from sphereface_viz.links import Choice

PROJECTIONS = {"globe": "globe", "map": "map of all of it"}
LINK = Choice(tuple(PROJECTIONS))


def sphere_control(key: str, disabled: bool = False) -> None:
    st.radio("Sphere", list(PROJECTIONS), key=key, format_func=PROJECTIONS.get, horizontal=True,
             persist_state="session", disabled=disabled, help="a globe to turn (drag it), or an equal-area map of the whole sphere: "
                                           "every class at once, each region at its true share of the area")
