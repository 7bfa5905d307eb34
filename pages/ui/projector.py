"""The Train page on a 1280×720 projector: the sidebar folded and the page's heading and help out of the
way, so that the live view (pages/ui/feature_view.js, which then reaches down to the window's bottom edge)
and its numbers fill the screen under the Play button. A 1920×1080 projector gets the same picture with the
browser zoomed to 150%."""
import streamlit as st

from pages.ui.help import KEY as HELP_KEY

# Streamlit's own elements, by the test ids it gives them. The header keeps its expand-sidebar button and menu,
# but lets clicks through to the Play button, which moves up beside them.
CHROME = """<style>
[data-testid='stMainBlockContainer']{padding:0.75rem 1rem 0 4rem}
[data-testid='stMainBlockContainer']>[data-testid='stVerticalBlock']>[data-testid='stLayoutWrapper']:has(h1),
[data-testid='stMainBlockContainer']>[data-testid='stVerticalBlock']>[data-testid='stElementContainer']:has(style),
[data-testid='stLayoutWrapper']:has(>.st-key-%s){display:none}
[data-testid='stHeader'],[data-testid='stToolbar']{background:transparent;pointer-events:none}
[data-testid='stHeader'] button{pointer-events:auto}
</style>""" % HELP_KEY


def fill_the_screen(on: bool) -> None:
    """Fold the sidebar and drop the page's chrome while `on`; unfold it when turned off. Streamlit remembers
    a sidebar the viewer folded or opened by hand, and that choice wins over this one."""
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")
    if on:
        st.markdown(CHROME, unsafe_allow_html=True)
