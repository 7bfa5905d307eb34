"""Every page runs through the router (router.py), even when the first visit to a fresh server is a deep link.

Streamlit starts in its old multipage mode whenever a pages/ folder exists, and leaves it only when
st.navigation runs. Without this, a first request for /compare runs pages/compare.py on its own: no
router.py (no one-torch-thread rule, no janitor, no wide layout) and a sidebar listing every file in pages/,
for every session, until someone opens the root URL. A page that finds itself run that way, in a session
router.py has not run in, switches the mode off and reruns; the router (router.py) then opens the same page.
(AppTest turns the old mode back on before each run; its sessions have been through router.py, so their
runs are left as they are.)
"""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ROUTED = "routed"  # session state: router.py has run in this session


def mark_routed() -> None:
    st.session_state[ROUTED] = True


def through_router() -> None:
    if PagesManager.uses_pages_directory and not st.session_state.get(ROUTED):
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        st.rerun()
