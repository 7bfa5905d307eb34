"""Train: a live trainer. Play / Pause / Step / Reset; m, s, t and the learning rate change live,
dataset, dimension and loss reset. Everything trained or drawn comes from sphereface_viz."""
import uuid

import streamlit as st

from pages.ui.curves import curves, record_curve
from pages.ui.faults import fault
from pages.ui.help import what_am_i_looking_at
from pages.ui import presenting
from pages.ui.feature_view import fed, feature_view, value_of
from pages.ui.live_numbers import numbers
from pages.ui.notices import connected, notice
from pages.ui.open_set import HOLDOUT, holdout_control
from pages.ui.playbar import play_bar
from pages.ui import projection, projector, share
from pages.ui.projection import sphere_control
from pages.ui.hparams import control, link_control, shown
from pages.ui.routing import through_router
from pages.ui.runs_panel import history_and_replay
from sphereface_viz import live
from sphereface_viz.data import DATASETS
from sphereface_viz.links import FOLLOW, Choice, Number
from sphereface_viz.limits import MAX_SEED, no_room_for_a_session
from sphereface_viz.losses import LOSSES
from sphereface_viz.player import Player
from sphereface_viz.slots import SLOTS
from sphereface_viz.store import STORE
from sphereface_viz.recipe import NO_SCHEDULE, TrainConfig
from sphereface_viz.theory import margin_note
from sphereface_viz.trainer import Trainer

through_router()

HISTORY_EVERY = 1.0  # seconds between redraws of the history chart and the confusion panel while playing
TEST, TRAINING = "test", "training"
DRAWN = {TEST: "test images", TRAINING: "training batches"}
POINTS = [250, 500, 1000, 2000]  # points drawn, up to plots.MAX_POINTS
BATCH_SIZES, WIDTHS = [16, 32, 64, 128, 256], [4, 8, 16, 32]
LEARNING_RATES = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
RESET_KEYS = ("dataset", "dim", "loss", "seed", "batch_size", "width", "eval_size", "holdout")
state = st.session_state


def wanted_config() -> TrainConfig:
    # No data folder from the page: where data lives is the server's setting ($SPHEREFACE_VIZ_DATA)
    return TrainConfig(dataset=state.dataset, dim=state.dim, loss=state.loss,
                       seed=state.seed, batch_size=state.batch_size, width=state.width, threads=1,
                       holdout=tuple(state.holdout),
                       snapshot_every=NO_SCHEDULE, max_snapshots=300, eval_size=state.points, lr=state.get("lr"),
                       hparams=live_values(state.loss))


def live_values(loss: str) -> dict:
    """The values of this loss's live controls, by the parameters' names."""
    return {k: state[k] for k in shown(loss) if k in state}


def reset() -> None:
    """Build a fresh trainer from the reset-level controls; on bad input, or with the server near its
    memory budget, keep the old one and say why."""
    try:
        config = wanted_config()
        state.error = no_room_for_a_session()
        if state.error:
            return
        trainer = Trainer(config)
    except (ValueError, OSError) as err:  # DataError included
        state.error = fault(err)
        return
    if state.get("player") is not None:
        state.player.pause()
    state.trainer, state.player = trainer, Player([trainer], SLOTS, state.session_id, store=STORE, connected=connected())
    state.live, state.curve, state.history = live.View(), [], None
    trainer.snapshot()
    if state.get("presentation") is not None:  # the presentation goes on with the new run
        state.presentation.show(state.player, trainer, state.live, numbers_of(trainer))


def apply_live() -> None:
    trainer = state.get("trainer")
    if trainer is None:
        return
    now = trainer.live_values()
    values = {k: v for k, v in {**live_values(trainer.config.loss), "lr": state.lr}.items() if now.get(k) != v}
    try:
        with state.player.lock:
            trainer.set_live(**values)
        state.error = None
    except ValueError as err:
        state.error = fault(err)


def sidebar(mirrored: bool = False) -> None:
    """mirrored: a student's page following the teacher: the controls show the teacher's values, and take none."""
    # persist_state: a visit to Compare or Geometry would otherwise drop every value and reset the training
    keep = {"persist_state": "session", "disabled": mirrored}
    with st.sidebar:
        st.header("Data and model")
        # No on_change=reset: a callback runs before this page sets the new loss's defaults and writes the URL,
        # so it trained the old loss's m and held the address bar back; the run below resets after both.
        st.caption("Changing these resets training.")
        st.selectbox("Dataset", DATASETS, key="dataset", **keep)
        st.radio("Feature dimension", [2, 3], key="dim", horizontal=True, **keep)
        st.selectbox("Loss", list(LOSSES), key="loss", format_func=lambda name: LOSSES[name].title, **keep)
        with st.expander("More"):
            st.number_input("Seed", 0, MAX_SEED, key="seed", **keep,
                            help="another start: the same kind of picture, the classes in other places")
            st.select_slider("Batch size", BATCH_SIZES, key="batch_size", **keep,
                             help="images per step. Larger: calmer, slower steps; smaller: the dots jitter more")
            st.select_slider("CNN width", WIDTHS, key="width", **keep,
                             help="channels of the CNN's first stage. Wider: classes part in fewer steps, each "
                                  "step slower")
            # embedded at most once a second while playing: 2,000 MNIST images cost ~150 ms of a core
            st.select_slider("Points drawn", POINTS, key="points", **keep,
                             help="test images, or features of the latest training batches")
            holdout_control("holdout", state.dataset, **keep)
        st.header("Live")
        if mirrored:
            # A hundred students' pages each run again for every step of the teacher's slider would take the server's
            # interpreter from the training they watch: the live values travel in each frame instead.
            st.caption("The teacher changes these while the run trains: the title above the picture names them, "
                       "and the learning rate is among the numbers beside it.")
        else:
            live_controls(keep)
        st.toggle(f"Project features onto the unit {'circle' if state.dim == 2 else 'sphere'}", key="project", **keep,
                  help="every dot moved to length 1: only its angle is left, which is all a margin loss looks at")
        st.radio("Draw", list(DRAWN), key="drawn", format_func=DRAWN.get, horizontal=True, **keep,
                 help="training batches: the features the loss has just acted on (no extra forward pass, so "
                      "redraws are cheaper); test images: fixed images the model never trains on")
        if state.dim == 3:
            sphere_control("view", disabled=mirrored)
        st.toggle("Projector view", key="projector", persist_state="session",
                  help="large type, and the chart filling a 1280×720 screen, sidebar folded (» opens it); "
                       "on a 1920×1080 projector, zoom the browser to 150%")
    projector.fill_the_screen(state.projector)  # outside the sidebar, which it may fold


def live_controls(keep: dict) -> None:
    """The loss's live parameters, the margin's note and the learning rate: they change the loss while it trains."""
    st.caption("These change the loss while it trains.")
    for key, param in shown(state.loss).items():
        control(param, key, apply_live, **keep)
    classes = len(state.trainer.seen) if state.get("trainer") else 10
    others = {k: v for k, v in live_values(state.loss).items() if k != "m"}
    note = margin_note(state.loss, state["m"], classes, state.dim, **others) if "m" in shown(state.loss) else None
    if note:  # what the chosen m asks of ten classes, beside its slider
        (st.warning if "beyond" in note else st.caption)(note)
    st.select_slider("Learning rate", LEARNING_RATES, key="lr",
                     on_change=apply_live, help="the one-cycle schedule's peak; a live change of the loss "
                     "after the schedule's end re-warms it briefly, so the features can follow", **keep)


def settle(settings: dict) -> None:
    """A presentation's settings (a link's query) into the controls: the loss first, then its parameters."""
    share.apply({k: v for k, v in settings.items() if k == "loss"}, {"loss": Choice(tuple(LOSSES))})
    defaults()
    share.apply(settings, link_settings(state.loss))


def mirrored_settings() -> dict:
    """What a student's page mirrors of the teacher's: every setting but the teacher's projector."""
    return {k: v for k, v in share.current(link_settings(state.loss)).items() if k != "projector"}


def link_settings(loss: str) -> dict:
    """What a link may set on this page (sphereface_viz.links), each as its control offers it."""
    return {"dataset": Choice(DATASETS), "dim": Choice((2, 3)), "loss": Choice(tuple(LOSSES)),
            **{key: link_control(param) for key, param in shown(loss).items()},
            "lr": Choice(tuple(LEARNING_RATES)), "seed": Number(0, MAX_SEED, integer=True),
            "batch_size": Choice(tuple(BATCH_SIZES)), "width": Choice(tuple(WIDTHS)), "points": Choice(tuple(POINTS)),
            "holdout": HOLDOUT,
            "project": Choice((False, True)), "drawn": Choice(tuple(DRAWN)), "projector": Choice((False, True)),
            "view": projection.LINK}


def defaults() -> None:
    base = {"session_id": uuid.uuid4().hex, "dataset": "digits", "dim": 2, "loss": "a_softmax", "seed": 0, "batch_size": 64,
            "width": 16, "points": 1000, "holdout": [], "project": False, "drawn": TEST, "projector": False,
            "view": "globe", "error": None, "curve": []}
    for key, value in base.items():
        state.setdefault(key, value)
    for key, param in shown(state.loss).items():
        if key not in state or state.get("defaults_for") != state.loss:
            state[key] = param.default
    if state.get("defaults_for") != state.loss:
        state.lr = TrainConfig(loss=state.loss).lr
        state.defaults_for = state.loss


def on_key() -> None:
    """r, [ and ] pressed in the page (pages/ui/feature_view.js sends its last presses, numbered): Reset, the
    margin one slider step down or up; each press once."""
    fresh = [(n, key) for n, key in value_of("live_view")["keys"] if n > state.get("key_at", 0)]
    margin = shown(state.loss).get("m")
    for n, key in fresh:
        state.key_at, state.key_handled = n, True
        if key == "r":
            reset()
        elif margin is not None and isinstance(margin.widget, tuple):
            low, high, step = margin.widget
            state.m = round(min(high, max(low, state.m + (step if key == "]" else -step))), 6)
    if fresh and margin is not None:
        apply_live()


def step_once() -> None:
    with state.player.lock:
        state.trainer.step(1)
        state.trainer.snapshot()


def numbers_of(trainer: Trainer):
    """A frame's extras: the numbers beside the view (run by the stage's driver, reading no session state)."""
    return lambda view: {"numbers": view_numbers(view, trainer)}


def live_view() -> None:
    trainer, player, view = state.trainer, state.player, state.live
    presentation = state.get("presentation")
    player.heartbeat()
    # following another session's training is said by the view, in the frames it fetches (feature_view.js): a Play
    # that follows runs no page
    notice(player, state.session_id, "Change the learning rate (or another live setting) to go on from there, or "
                                     "export it below.", said=True)
    if trainer.stopped and not player.wanted and state.get("shown_stop") != trainer.stopped:
        state.shown_stop = trainer.stopped
        st.rerun(scope="app")  # the Play button and the message live outside this fragment
    if state.pop("key_handled", False):
        st.rerun(scope="app")  # a key moved the margin slider or reset: both live outside this fragment
    view.project, view.window = state.project, state.drawn == TRAINING
    # while playing, the browser fetches the frames (sphereface_viz.stage): this run only keeps the notice above true
    feed = fed("live_view", player, trainer, view, numbers_of(trainer), stage=presentation and presentation.stage,
               idle=True)
    if not player.wanted and view.update(player, trainer):
        record_curve(view)
    if not player.wanted and presentation is not None:
        presentation.stage.refresh()  # paused: a Step or a slider reaches the students too
    if player.leads != state.get("leads", False):
        state.leads = player.leads  # another session trains this run now, or this one: the ticks change
        st.rerun(scope="app")
    feature_view(view.frame, view.id, key="live_view", height=640, projector=state.projector, projection=state.view,
                 sprites=None if view.window else view.sprites(trainer), on_key=on_key, fill=True,
                 numbers=view_numbers(view, trainer), feed=feed, notices=True)


def view_numbers(view: live.View, trainer: Trainer) -> list[dict]:
    """The numbers beside the view, of its latest frame's moment."""
    # The numbers are drawn by the chart's own page: as nine st.metric elements, Streamlit's page spent more of
    # the browser's CPU on them than on the figure.
    moment = view.moment
    return numbers(moment.status, view.scores, moment.loss, trainer.config.dim, moment.snap.step)


share.restore_first("train", {"loss": Choice(tuple(LOSSES))})  # the loss decides which parameters a link has
defaults()
share.restore("train", link_settings(state.loss))
share.hide_controls()
teacher = presenting.presentation(settle, numbers_of)
room = presenting.linked(FOLLOW)
student = None if teacher else presenting.followed()
if student is not None:
    presenting.mirror(student, settle)
if teacher is not None:
    teacher.mirror(mirrored_settings(), live=set(shown(state.loss)) | {"lr"})
    state.mirrored = teacher.stage.version  # this page's own change: nothing to take back from the presentation
sidebar(mirrored=student is not None)
title, show, link = st.columns([5, 1, 1], vertical_alignment="bottom")
title.title("Angular margins, live")
role = presenting.role(teacher, room)
with link:
    published = share.publish({} if student else link_settings(state.loss), role=role)
    if not student:
        share.share(published)
if not student and not room:
    with show:
        presenting.links_popover(teacher, lambda: presenting.begin(mirrored_settings(), numbers_of))
share.problems("train")
presenting.refusal()
presenting.elsewhere()
what_am_i_looking_at("One network, one loss, live. Play trains it. The sliders under *Live* change the loss while "
                     "it trains, and the picture follows.", loss=state.loss)
if room is not None and not teacher:
    presenting.student_bar(student, room, settle)
if student is not None:
    presenting.follow_view(student)
elif room is not None and state.get("exploring") != room:
    presenting.absent(room)
else:
    if state.get("trainer") is None or any(getattr(state.trainer.config, k) != getattr(wanted_config(), k)
                                           for k in RESET_KEYS):
        reset()
    if state.error:
        st.error(state.error)
    if state.get("trainer") is not None:
        # Play runs only the play bar: a room on one link pressing Play at once would otherwise run a hundred pages.
        # The view's frames come at once (its feed is idle), and the page runs again only if the player trains a
        # run itself, asked by the view a second after its first frames (heard: "own:leads").
        play_bar(state.player, reset, step_once, done=bool(state.trainer.stopped), quiet=True)
        # While playing, the browser fetches the frames itself (sphereface_viz.stage); the slow tick keeps the notice
        # above the chart true (waiting for a slot) and hears a stopped trainer. A page following another session's
        # training has none (a room on one link would rerun a hundred pages a second): what it must say comes with
        # the frames, and a frame saying that this session trains the run now asks for the page's next run.
        state.leads = state.player.leads
        st.fragment(live_view, run_every=live.NOTICE_EVERY if state.leads else None)()
        st.fragment(curves, run_every=HISTORY_EVERY if state.leads else None)()
        history_and_replay(state.trainer, state.player, state.curve, state.live.radius)
