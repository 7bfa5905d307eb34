"""sphereface-viz: `streamlit run app.py` serves the router (router.py, the pages) and, in front of all of Streamlit,
the route the live views fetch their frames from (pages/ui/feed_route.py)."""
import streamlit as st

from pages.ui.feed_route import FramesFirst

app = st.App("router.py")
# A lecture hall asks for a few hundred frames a second: they are answered before Streamlit's own ASGI stack (error
# pages, sessions, gzip, path checks), none of which a frame needs, and all of which cost the one interpreter
# that also trains.
app = FramesFirst(app)
