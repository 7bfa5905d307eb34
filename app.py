"""sphereface-viz: `streamlit run app.py` serves the router (router.py, the pages) and, beside Streamlit's own
routes, the one the live views fetch their frames from while playing (pages/ui/feed_route.py)."""
import streamlit as st

from pages.ui.feed_route import ROUTES

app = st.App("router.py", routes=ROUTES)

if __name__ == "__main__":  # `python app.py` starts it too
    app.run()
