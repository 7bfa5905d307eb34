"""Present mode on the Train page (sphereface_viz.present): the teacher's two links, the presenter's page that
drives the presented run, and a student's page that follows it.

A page is one of three: its own run (no role in its link); the presenter (?present=<secret>: its run is the
presentation's, whichever tab or laptop opens the link); a student (?follow=<room>: the teacher's picture, numbers
and settings, until "Explore on my own" takes the run as it is into a run of the student's own)."""
from collections.abc import Callable

import streamlit as st

from pages.ui.feature_view import feature_view, watched
from pages.ui.notices import connected
from pages.ui.share import query
from sphereface_viz import frames, live, present
from sphereface_viz.limits import no_room_for_a_session
from sphereface_viz.links import FOLLOW, PRESENT, HIDE
from sphereface_viz.player import Player
from sphereface_viz.relay import Remote
from sphereface_viz.slots import SLOTS
from sphereface_viz.store import STORE

state = st.session_state


def linked(key: str) -> str | None:
    """The secret or room a link names, if it looks like one (anything else is never looked up)."""
    value = query().get(key)
    return value if isinstance(value, str) and present.TOKEN.fullmatch(value) else None


def presentation(settle: Callable[[dict], None], extras) -> present.Presentation | None:
    """The presentation this page drives: begun here, or opened by the presenter link in its URL (a reload, another
    laptop; from the run store if the process that had it is gone). Its run is the page's (a reset on another
    presenter page included). settle: puts a presentation's settings into the page's controls. A secret that opens
    nothing is refused, once, with a message."""
    secret, held = linked(PRESENT), state.get("presentation")
    if held is not None and secret in (None, held.secret):
        found = held
    elif not secret or state.get("refused") == secret:
        return None
    else:
        found = present.presenting(secret) or present.revive(secret, STORE, lambda trainer: (
            Player([trainer], SLOTS, state.session_id, store=STORE), live.View(), extras(trainer)))
        state.elsewhere = found == present.ELSEWHERE
        if state.elsewhere:
            return None
        if found is None:
            state.refused = secret
            return None
        state.refused = state.mirrored = None
    version = found.stage.version  # another presenter page changed the layout (a reload, another laptop): it shows
    if state.get("mirrored") != version:
        settle(found.settings)
        state.mirrored = version
    found.attach(state.session_id, connected())
    if state.get("player") is not None and state.player is not found.player:
        state.player.pause()  # the page's own run gives way to the presented one
    if state.get("trainer") is not found.trainer:
        state.live, state.curve, state.history = found.view, [], None
    state.presentation, state.trainer, state.player, state.live = found, found.trainer, found.player, found.view
    found.player.heartbeat()
    return found


def refusal() -> None:
    """Said on every run of a page whose presenter link opened nothing: it drives nothing, and says so."""
    if state.get("refused") and state.get("presentation") is None:
        st.error("This presenter link opens no presentation: it is mistyped, or its run was never stored. The page "
                 "shows a run of your own; **Present** begins a new presentation.", icon=":material/lock:")


def followed() -> present.Presentation | Remote | None:
    """The presentation a student link follows, while the student follows it (not exploring on their own); or the
    one a presenter link opens while another app process presents it (`elsewhere`): followed, not driven."""
    room = linked(FOLLOW)
    if room is None and state.get("elsewhere") and linked(PRESENT):
        room = present.room_of(linked(PRESENT))
    if room is None or state.get("exploring") == room:
        return None
    return present.following(room, STORE)


def elsewhere() -> None:
    """Said on a presenter page while another app process presents its run (another laptop whose page another
    process serves): it shows the run and drives nothing, and takes the run on once that process lets it go."""
    if not state.get("elsewhere"):
        return
    st.info("This presentation is driven from another page now, one that another server process serves: this page "
            "shows it live. Close the presenter link there to drive it here; this page takes it on within a few "
            "seconds of that.", icon=":material/co_present:")

    @st.fragment(run_every=2.0)
    def wait() -> None:
        if not present.elsewhere(linked(PRESENT), STORE):
            st.rerun(scope="app")
    wait()


def role(teacher: present.Presentation | None, room: str | None) -> dict | None:
    """Who the page is, as its link says: the presenter (driving here or elsewhere), a student, or neither."""
    if teacher is not None:
        return {PRESENT: teacher.secret}
    if state.get("elsewhere") and linked(PRESENT):
        return {PRESENT: linked(PRESENT)}
    return {FOLLOW: room} if room else None


def mirror(presentation: present.Presentation, settle: Callable[[dict], None]) -> None:
    """A student's page follows: the teacher's settings into its controls when their layout changed, and no run of
    its own."""
    version = presentation.stage.version  # before the settings: a change meanwhile is settled next time
    if state.get("mirrored") != version:
        settle(presentation.settings)
        state.mirrored = version
    if state.get("player") is not None:
        follow_again()


def follow_view(presentation: present.Presentation) -> None:
    """A student's picture of the teacher's run: the teacher's stage, fetched whether it plays or not. No periodic
    rerun, and no fragment: the page's next run, the whole of it, comes when the teacher's layout changes
    (feature_view.js hears it in a frame)."""
    if presentation.stage.message is None:  # nobody has asked for a frame of it yet
        presentation.stage.refresh()
    message, blob = frames.unwire(presentation.stage.message)
    feature_view((message.pop("header"), blob), message.pop("id"), key="live_view", height=640, fill=True,
                 projector=state.projector, projection=state.view, feed=watched("live_view", presentation.stage),
                 sprites=presentation.sprites(), **message)


def begin(settings: dict, extras) -> None:
    """Present this page's run (a button's callback)."""
    state.presentation = present.begin(state.player, state.trainer, state.live, settings, extras(state.trainer),
                                       state.session_id, connected())


def explore(presentation: present.Presentation, settle: Callable[[dict], None]) -> None:
    """A student takes the teacher's run as it is now into a run of their own (a button's callback): the teacher's
    settings and live values in its controls, every control free."""
    state.error = no_room_for_a_session()
    if state.error:
        return
    trainer = presentation.copy_run()
    if trainer is None:
        state.error = "The teacher's run is not in the run store yet: try again in a few seconds."
        return
    settle(presentation.settings)
    for key, value in trainer.live_values().items():
        state[key] = value
    state.trainer = trainer
    state.player = Player([trainer], SLOTS, state.session_id, store=STORE, connected=connected())
    state.live, state.curve, state.history, state.exploring = live.View(), [], None, presentation.room


def follow_again() -> None:
    """Back to the teacher's run (a button's callback): the student's own run is put aside."""
    if state.get("player") is not None:
        state.player.pause()
    state.trainer = state.player = None
    state.exploring = state.mirrored = None  # the teacher's settings into the controls again


def links_popover(presenting: present.Presentation | None, start: Callable[[], None]) -> None:
    """"Present to the class": begin a presentation, then the two links."""
    with st.popover("Present", icon=":material/co_present:",
                    help="drive this run in front of the class: every student on your student link sees it live"):
        if presenting is None:
            st.caption("Your run becomes a presentation: the students' pages show your picture, your numbers and "
                       "your settings as you change them, and each student can explore from there on their own.")
            st.button("Present to the class", type="primary", on_click=start)
            return
        base = st.context.url or ""
        st.markdown("**Student link**: hand this one out.")
        st.code(f"{base}?{FOLLOW}={presenting.room}", language=None, wrap_lines=True)
        st.caption("The same, the picture and the numbers only:")
        st.code(f"{base}?{FOLLOW}={presenting.room}&{HIDE}=hidden", language=None, wrap_lines=True)
        st.markdown("**Presenter link**: keep it to yourself. Whoever opens it drives the run; open it again after "
                    "a reload or on another laptop. It is in your address bar now: on a projector, go full screen.")
        st.code(f"{base}?{PRESENT}={presenting.secret}", language=None, wrap_lines=True)


def student_bar(presentation: present.Presentation | None, room: str | None, settle: Callable[[dict], None]) -> None:
    """Above a student's picture: whose run this is, and the way out and back."""
    if presentation is not None:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.info("You are following the teacher's run, live: the picture, the numbers and the settings are the "
                  "teacher's.", icon=":material/co_present:")
        right.button("Explore on my own", type="primary", width="stretch", on_click=explore,
                     args=(presentation, settle), help="go on from the teacher's run as it is now, in a run of your "
                     "own")
    elif room is not None:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.caption("This run is your own, started from the teacher's.")
        right.button("Follow the teacher", width="stretch", on_click=follow_again)


def absent(room: str) -> None:
    """A student link whose presentation this server does not hold (not begun yet, or its process restarted):
    said, and looked for again every few seconds."""
    st.info("This class link is not presenting now. The page follows the teacher's run as soon as the teacher "
            "presents it again.", icon=":material/hourglass_top:")

    @st.fragment(run_every=3.0)
    def wait() -> None:
        if present.following(room, STORE) is not None:
            st.rerun(scope="app")
    wait()
