"""Play / Pause, Step and Reset, one row for every live page. Callbacks, not `if button: ...; st.rerun()`:
a press costs one run of the page, not one and a half."""
from collections.abc import Callable

import streamlit as st

from sphereface_viz.player import Player


def play_bar(player: Player, reset: Callable[[], None], step: Callable[[], None] | None = None,
             done: bool = False) -> None:
    """done: nothing left to train (a finished sweep, a stopped loss): Play and Step are off. Space plays
    and pauses, → steps (the Train page's view hears r for Reset and [ ] for the margin)."""
    play, one, restart, _ = st.columns([1, 1, 1, 4])
    play.button("Pause" if player.wanted else "Play", type="primary", width="stretch", disabled=done,
                on_click=player.pause if player.wanted else player.play, shortcut="Space")
    if step is not None:
        one.button("Step", width="stretch", disabled=player.wanted or done, on_click=step, shortcut="Right")
    (restart if step is not None else one).button("Reset", width="stretch", on_click=reset)
