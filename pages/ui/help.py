""""What am I looking at?", folded on every page: the README's labelled figure and its numbered list,
read from README.md so the page and the front door can never tell two stories."""
import re
from functools import lru_cache
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
FIGURE = ROOT / "docs" / "img" / "anatomy.png"
KEY = "what-am-i-looking-at"  # its container's, by which the projector view (pages/ui/projector.py) hides it
OPEN = "what-am-i-looking-at-open"  # the expander's: True while it is open


@lru_cache(maxsize=1)
def explanation() -> str:
    """The README's "What you are looking at" section, its image and links as plain text."""
    try:
        text = (ROOT / "README.md").read_text(encoding="utf-8")
    except OSError:
        return ""
    found = re.search(r"^## What you are looking at\n(.*?)(?=^## )", text, flags=re.S | re.M)
    section = found.group(1) if found else ""
    section = re.sub(r"^!\[[^\]]*\]\([^)]*\)\n", "", section, flags=re.M)
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", section).strip()


def what_am_i_looking_at(first: str = "") -> None:
    """The folded help; `first`: what is particular to this page, said before the common picture."""
    with st.container(key=KEY):
        # drawn only when opened: a page's every run (thirty students pressing Play at once) skips the figure
        box = st.expander("What am I looking at?", icon=":material/help:", key=OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        if first:
            st.markdown(first)
        if FIGURE.exists():
            st.image(str(FIGURE), width=720)
        st.markdown(explanation())
