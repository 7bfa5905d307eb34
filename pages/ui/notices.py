"""Why a live view is not moving, said in one fixed place above its charts: nothing stalls silently."""
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sphereface_viz.player import Player
from sphereface_viz.slots import SLOTS


def connected():
    """A check, callable from the training thread, that this page's browser is still connected (None
    outside a Streamlit server, e.g. under AppTest: the player then waits for heartbeats)."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    session, server = ctx.session_id, runtime.get_instance()
    return lambda: server.is_active_session(session)


# While another session of the server trains this page's run: said by the page, or by the frames of the training
# session's stage that the page's view draws (pages/ui/feature_view.py)
FOLLOWING = ("Another session is training this very run, so this page shows it as it goes, without training it "
             "twice. Moving a Live slider makes the run your own.")


def notice(player: Player, session_id: str, after_stop: str = "Press Reset to start again.",
           said: bool = False) -> None:
    """after_stop: what a student can do once a loss turned non-finite. said: the page's view says already that the
    run is another session's, in the frames it draws (`FOLLOWING`). Icons from Material, not emoji: Streamlit
    compiles its emoji pattern on the first emoji shown, a second of the interpreter while a room presses Play. Always one element, so the charts below keep their places (an element that comes and goes above
    a chart makes Streamlit re-mount its iframe)."""
    place = st.empty()
    stopped = player.stopped
    shares = [player.sharing(t) for t in player.trainers]
    if player.failed:
        place.error(f"{player.failed}. Press Reset to start again.", icon=":material/error:")
    elif stopped:
        place.error(f"{stopped}. {after_stop}", icon=":material/error:")
    elif player.store_error:
        place.warning(player.store_error[0].upper() + player.store_error[1:] + ".", icon=":material/save:")
    elif "following" in shares and not said:
        place.info(FOLLOWING, icon=":material/group:")
    elif "replaying" in shares:
        place.info("Replaying this run as another session trained it: trained once for the whole room.",
                   icon=":material/fast_forward:")
    elif player.waiting:
        training, waiting = SLOTS.load()
        place.info(f"Waiting for a free training slot: place {SLOTS.position(session_id) or 1} of {waiting} in the "
                   f"queue, {training} sessions training. Training goes on by itself.", icon=":material/hourglass_top:")
