"""sphereface-viz: the Streamlit router. Pages live in pages/ and only call the sphereface_viz package."""
import streamlit as st

st.set_page_config(page_title="sphereface-viz", page_icon=":material/public:", layout="wide")
st.navigation([
    st.Page("pages/train.py", title="Train", icon=":material/play_circle:", default=True),
]).run()
