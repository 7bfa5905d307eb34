"""sphereface-viz: the Streamlit router (started by app.py). Pages live in pages/ and only call the sphereface_viz package."""
import streamlit as st
import torch

from pages.ui import closed_sessions, routing
from sphereface_viz import housekeeping

# One torch thread per session: a classroom shares the server's cores, and torch's default pool of
# one thread per core per session would make every student's training fight every other's.
torch.set_num_threads(1)
# Closed sessions' memory returns to the OS within a minute instead of whenever Python next runs a full
# collection, or never for their downloads (sphereface_viz/housekeeping.py, pages/ui/closed_sessions.py).
housekeeping.start(chores=(closed_sessions.release,))
closed_sessions.seen()

routing.mark_routed()
st.set_page_config(page_title="sphereface-viz", page_icon=":material/public:", layout="wide")
# A playing page reruns its live fragment once a second, and on every press; Streamlit's grey "stale" fade would
# make its view flicker.
st.markdown("<style>[data-stale='true']{opacity:1 !important;transition:none !important}</style>",
            unsafe_allow_html=True)
st.navigation([
    st.Page("pages/train.py", title="Train", icon=":material/play_circle:", default=True),
    st.Page("pages/compare.py", title="Compare", icon=":material/grid_view:"),
    st.Page("pages/sweep.py", title="Margin sweep", icon=":material/compress:"),
    st.Page("pages/geometry.py", title="Geometry", icon=":material/architecture:"),
    st.Page("pages/probe.py", title="Where does your digit land?", icon=":material/draw:", url_path="probe"),
]).run()
