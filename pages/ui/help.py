""""What am I looking at?", folded on every page: the README's labelled figure and its numbered list,
read from README.md so the page and the front door can never tell two stories."""
import re
from functools import lru_cache
from pathlib import Path

import streamlit as st

from sphereface_viz.losses import LOSSES

ROOT = Path(__file__).resolve().parents[2]
FIGURE = ROOT / "docs" / "img" / "anatomy.png"
KEY = "what-am-i-looking-at"  # its container's, by which the projector view (pages/ui/projector.py) hides it
OPEN = "what-am-i-looking-at-open"  # the expander's: True while it is open
FIGURE_LOSS = "a_softmax"  # the loss the figure shows (docs/figures.py)


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


def what_am_i_looking_at(first: str = "", loss: str | None = None) -> None:
    """The folded help; `first`: what is particular to this page, said before the common picture. loss: the
    one on screen, when it is not the figure's (A-Softmax early in training), so the help says what differs."""
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
            if loss is not None and loss != FIGURE_LOSS:
                st.caption(f"This picture shows {LOSSES[FIGURE_LOSS].title}, early in training. Yours shows "
                           f"{LOSSES[loss].title}: the same parts, "
                           + ("with a dashed curve only while t > 1." if loss == "sv_softmax" else
                              "without the dashed curve, which A-Softmax alone draws while λ > 0."))
        st.markdown(explanation())
