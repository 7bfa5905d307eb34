"""Play / Pause, Step and Reset, one row for every live page, in a fragment of its own: a press runs the bar again,
and the page only when what it lays out changes. A room on one link pressing Play at once would otherwise run a
hundred pages, whose work takes the server's one interpreter from the training they all watch."""
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sphereface_viz.player import Player

PRESSED = "play_bar_pressed"  # session state: the press this bar's run answers


def play_bar(player: Player, reset: Callable[[], None], step: Callable[[], None] | None = None,
             done: bool = False, quiet: bool = False) -> None:
    """done: nothing left to train (a finished sweep, a stopped loss): Play and Step are off. quiet: Play runs only
    the bar, because the page's view asks for the page's next run itself when the page must change (the Train
    page: its feed asks on while paused, and feature_view.js's `hear` asks a second after a frame says the player
    trains a run itself; a player that follows another session's training changes nothing else). Space
    plays and pauses, → steps (the Train page's view hears r for Reset and [ ] for the margin)."""
    st.fragment(_bar)(player, reset, step, done, quiet)


def _bar(player: Player, reset, step, done: bool, quiet: bool) -> None:
    pressed = st.session_state.pop(PRESSED, None)
    ctx = get_script_run_ctx()
    if pressed is not None and ctx is not None and ctx.fragment_ids_this_run and not (pressed == "play" and quiet):
        st.rerun(scope="app")

    def press(name: str, action: Callable[[], None]) -> None:
        st.session_state[PRESSED] = name
        action()

    play, one, restart, _ = st.columns([1, 1, 1, 4])
    play.button("Pause" if player.wanted else "Play", type="primary", width="stretch", disabled=done,
                on_click=press, args=("pause", player.pause) if player.wanted else ("play", player.play),
                shortcut="Space")
    if step is not None:
        one.button("Step", width="stretch", disabled=player.wanted or done, on_click=press, args=("step", step),
                   shortcut="Right")
    (restart if step is not None else one).button("Reset", width="stretch", on_click=press, args=("reset", reset))
