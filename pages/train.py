"""Train: a live trainer. Play / Pause / Step / Reset; m, s, t and the learning rate change live,
dataset, dimension and loss reset. Everything trained or drawn comes from sphereface_viz."""
import math
import time
import uuid

import pandas as pd
import streamlit as st

from pages.ui.faults import fault
from pages.ui.help import what_am_i_looking_at
from pages.ui.live_chart import live_chart
from pages.ui import projector, share
from pages.ui.hparams import control, link_control, shown
from pages.ui.routing import through_router
from sphereface_viz.data import DATASETS
from sphereface_viz.links import Choice, Number
from sphereface_viz.export import moment_figure, run_loss, snapshot_figure
from sphereface_viz.limits import MAX_SEED, no_room_for_a_session
from sphereface_viz.losses import LOSSES
from sphereface_viz.player import Player, playing
from sphereface_viz.plots import default_radius, history_figure, to_figure, to_json
from sphereface_viz.runio import RunFileError, load_run, run_from_trainer, run_to_bytes
from sphereface_viz.slots import SLOTS
from sphereface_viz.store import STORE
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.trainer import Trainer

through_router()

TICK = 0.2  # seconds between redraws while playing; training runs on in between (sphereface_viz.player)
HISTORY_EVERY = 1.0  # seconds between redraws of the history chart while playing
TEST_EVERY = 2.0  # seconds between test snapshots while the training batches are drawn
SCORE_EVERY = 1.0  # seconds between scores of the training window while playing
TEST, TRAINING = "test", "training"
DRAWN = {TEST: "test images", TRAINING: "training batches"}
POINTS = [250, 500, 1000, 2000]  # points drawn, up to plots.MAX_POINTS
BATCH_SIZES, WIDTHS = [16, 32, 64, 128, 256], [4, 8, 16, 32]
LEARNING_RATES = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
CURVE_ANGLES = {"intra": "Intra (test)", "train_intra": "Intra (train)", "inter_min": "min Inter"}
RESET_KEYS = ("dataset", "dim", "loss", "seed", "batch_size", "width", "eval_size")
state = st.session_state


def wanted_config() -> TrainConfig:
    # No data folder from the page: where data lives is the server's setting ($SPHEREFACE_VIZ_DATA)
    return TrainConfig(dataset=state.dataset, dim=state.dim, loss=state.loss,
                       seed=state.seed, batch_size=state.batch_size, width=state.width, threads=1,
                       snapshot_every=10**9, max_snapshots=300, eval_size=state.points, lr=state.get("lr"),
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
    if "player" in state:
        state.player.pause()
    state.trainer, state.player = trainer, Player([trainer], SLOTS, state.session_id, store=STORE)
    state.radius, state.curve, state.window_scored_at = None, [], -math.inf
    trainer.snapshot()


def apply_live() -> None:
    trainer = state.get("trainer")
    if trainer is None:
        return
    config = trainer.config
    values = {k: v for k, v in live_values(config.loss).items() if config.hparams.get(k) != v}
    if state.lr != config.lr:
        values["lr"] = state.lr
    try:
        with state.player.lock:
            trainer.set_live(**values)
        state.error = None
    except ValueError as err:
        state.error = fault(err)


def sidebar() -> None:
    # persist_state: a visit to Compare or Geometry would otherwise drop every value and reset the training
    keep = {"persist_state": "session"}
    with st.sidebar:
        st.header("Data and model")
        st.caption("Changing these resets training.")
        st.selectbox("Dataset", DATASETS, key="dataset", on_change=reset, **keep)
        st.radio("Feature dimension", [2, 3], key="dim", horizontal=True, on_change=reset, **keep)
        st.selectbox("Loss", list(LOSSES), key="loss", format_func=lambda name: LOSSES[name].title, on_change=reset,
                     **keep)
        with st.expander("More"):
            st.number_input("Seed", 0, MAX_SEED, key="seed", on_change=reset, **keep,
                            help="another start: the same kind of picture, the classes in other places")
            st.select_slider("Batch size", BATCH_SIZES, key="batch_size", on_change=reset, **keep,
                             help="images per step. Larger: calmer, slower steps; smaller: the dots jitter more")
            st.select_slider("CNN width", WIDTHS, key="width", on_change=reset, **keep,
                             help="channels of the CNN's first stage. Wider: classes part in fewer steps, each "
                                  "step slower")
            # each redraw embeds them: 2,000 MNIST images cost ~300 ms of a core, 1,000 half that
            st.select_slider("Points drawn", POINTS, key="points", on_change=reset, **keep,
                             help="test images, or features of the latest training batches")
        st.header("Live")
        st.caption("These change the loss while it trains.")
        for key, param in shown(state.loss).items():
            control(param, key, apply_live, **keep)
        st.select_slider("Learning rate", LEARNING_RATES, key="lr",
                         on_change=apply_live, help="the one-cycle schedule's peak; a live change of the loss "
                         "after the schedule's end re-warms it briefly, so the features can follow", **keep)
        st.toggle(f"Project features onto the unit {'circle' if state.dim == 2 else 'sphere'}", key="project", **keep,
                  help="every dot moved to length 1: only its angle is left, which is all a margin loss looks at")
        st.radio("Draw", list(DRAWN), key="drawn", format_func=DRAWN.get, horizontal=True, **keep,
                 help="training batches: the features the loss has just acted on (no extra forward pass, so "
                      "redraws are cheaper); test images: fixed images the model never trains on")
        st.toggle("Projector view", key="projector", **keep,
                  help="large type, and the chart filling a 1280×720 screen, sidebar folded (» opens it); "
                       "on a 1920×1080 projector, zoom the browser to 150%")
    projector.fill_the_screen(state.projector)  # outside the sidebar, which it may fold


def link_settings(loss: str) -> dict:
    """What a link may set on this page (sphereface_viz.links), each as its control offers it."""
    return {"dataset": Choice(DATASETS), "dim": Choice((2, 3)), "loss": Choice(tuple(LOSSES)),
            **{key: link_control(param) for key, param in shown(loss).items()},
            "lr": Choice(tuple(LEARNING_RATES)), "seed": Number(0, MAX_SEED, integer=True),
            "batch_size": Choice(tuple(BATCH_SIZES)), "width": Choice(tuple(WIDTHS)), "points": Choice(tuple(POINTS)),
            "project": Choice((False, True)), "drawn": Choice(tuple(DRAWN)), "projector": Choice((False, True))}


def defaults() -> None:
    base = {"session_id": uuid.uuid4().hex, "dataset": "digits", "dim": 2, "loss": "a_softmax", "seed": 0, "batch_size": 64,
            "width": 16, "points": 1000, "project": False, "drawn": TEST, "projector": False, "error": None,
            "curve": []}
    for key, value in base.items():
        state.setdefault(key, value)
    for key, param in shown(state.loss).items():
        if key not in state or state.get("defaults_for") != state.loss:
            state[key] = param.default
    if state.get("defaults_for") != state.loss:
        state.lr = TrainConfig(loss=state.loss).lr
        state.defaults_for = state.loss


def controls(trainer: Trainer, player: Player) -> None:
    play, step, restart, _ = st.columns([1, 1, 1, 4])
    # callbacks, not `if button: ...; st.rerun()`: the press costs one run of the page, not one and a half
    play.button("Pause" if player.wanted else "Play", type="primary", width="stretch", disabled=bool(trainer.stopped),
                on_click=player.pause if player.wanted else player.play)
    if step.button("Step", width="stretch", disabled=player.wanted or bool(trainer.stopped)):
        with player.lock:
            trainer.step(1)
            trainer.snapshot()
    restart.button("Reset", width="stretch", on_click=reset)


def redraw_interval() -> float:
    """TICK, stretched when the server has more playing sessions than cores: one process draws for every
    student (those following a shared run too), and redraws that cannot keep up would starve the
    training they show."""
    return TICK * max(1.0, playing() / SLOTS.capacity)


def tick() -> float | None:
    """How often the browser reruns the live view (None: not at all, while paused). A rerun that draws
    nothing new still costs the server's Python a few milliseconds, so it comes only as often as a redraw
    may: thirty students ticking every 0.2 s held the GIL so often that the one session training their
    shared run made 0.3 steps/s (bench/load.py, the room)."""
    if not state.player.wanted:
        return None
    state.tick = redraw_interval()
    return state.tick


def frame(trainer: Trainer, player: Player) -> dict:
    """Everything the live view shows, at one moment: the figure (as JSON), the numbers, the curves."""
    # a run shared through the store has no training batches of this session's own
    window = state.drawn == TRAINING and not player.shares(trainer)
    # Drawing the training batches needs no forward pass; the test numbers beside them refresh every TEST_EVERY s.
    test = not window or time.monotonic() - state.get("tested_at", -math.inf) >= TEST_EVERY
    # the training window's own numbers refresh once a second, its picture at every tick
    score_window = not player.wanted or time.monotonic() - state.window_scored_at >= SCORE_EVERY
    began = time.monotonic()  # ticks come every TICK from their start, however long a frame takes
    moment = player.moment(trainer, test=test, score_window=score_window)
    if test:
        state.tested_at = time.monotonic()
    if score_window:
        state.window_scored_at, state.window_scores = time.monotonic(), moment.train_scores
    status, scores = moment.status, {**moment.scores, **state.window_scores}
    features = moment.window[0].numpy() if window else moment.snap.features
    radius = default_radius(features, state.project)
    # grow at once, shrink slowly: the axes stay still while the features settle
    state.radius = radius if state.radius is None else max(radius, state.radius * 0.98)
    if not state.curve or state.curve[-1]["step"] != status["step"]:
        del state.curve[:-2000]  # bounded memory per session
        state.curve.append({"step": status["step"], "loss": status["loss"], "train accuracy": status["train_accuracy"],
                            "test accuracy": scores["test_accuracy"], **{k: scores.get(k) for k in CURVE_ANGLES}})
    figure = moment_figure(trainer, moment.snap, moment.loss, project=state.project, radius=state.radius,
                           window=moment.window if window else None, step=status["step"] if window else None,
                           font_scale=projector.FONT_SCALE if state.projector else 1.0)
    curve, last = state.curve[-400:], state.get("view") or {}
    history, history_at = last.get("history"), last.get("history_at", -math.inf)
    # The curves move slowly: while playing they redraw once a second, not every tick (~30 ms of browser each)
    if len(curve) < 2:
        history = None
    elif not player.wanted or time.monotonic() - history_at >= HISTORY_EVERY:
        # a plotly dict, redrawn in place: st.line_chart's Altair validation cost 40% of a tick
        column = {key: [row[key] for row in curve] for key in curve[0]}
        accuracies = {k: column[k] for k in ("train accuracy", "test accuracy")}
        angles = {label: column[k] for k, label in CURVE_ANGLES.items()}
        history = to_json(history_figure(column["step"], column["loss"], accuracies, angles))
        history_at = time.monotonic()
    return {"figure": to_json(figure), "history": history, "history_at": history_at, "status": status,
            "angles": scores, "tested_step": moment.snap.step, "drawn_at": began}


def numbers(status: dict, angles: dict, tested_step: int | None = None) -> list[dict]:
    """The live numbers beside the chart, of the same moment as its figure: label, value and help."""
    def dash(value, form: str) -> str:
        return "—" if value is None or math.isnan(value) else format(value, form)

    def both(key: str, form: str = ".1f") -> str:
        """'test / training' of one measure."""
        return f"{dash(angles.get(key), form)} / {dash(angles.get('train_' + key), form)}"

    def criterion(met: str, intra: str, inter: str) -> str:
        return f"{'met' if angles[met] else 'not met'} ({dash(angles[intra], '.0f')}° vs {dash(angles[inter], '.0f')}°)"

    late = f" (test images of step {tested_step:,})" if tested_step not in (None, status["step"]) else ""
    out = [("Step", f"{status['step']:,}", f"epoch {status['epoch']:.2f}"),
           ("Loss", dash(status["loss"], ".3f"), None),
           ("Train accuracy", dash(status["train_accuracy"], ".1%"), "of the latest batch"),
           ("Test accuracy", f"{angles['test_accuracy']:.1%}", "on the test images drawn" + late)]
    if status["lambda"] is not None:
        out.append(("λ (annealing)", f"{status['lambda']:.2f}",
                    "A-Softmax's target logit is (λ cos θ + ψ(θ)) / (1 + λ): large λ, small margin."))
    out += [("Learning rate", f"{status['lr']:.4f}", None),
            ("Intra ° (test / train)", both("intra"),
             "ArcFace's Intra: mean angle between a feature and its class centre. Margins shrink it. "
             "Test: the test images; train: the latest training batches, as the loss saw them." + late),
            ("Inter ° (mean / min)", f"{dash(angles['inter'], '.0f')} / {dash(angles['inter_min'], '.0f')}",
             "angles between class centres (test images): the mean, and the closest two classes"),
            ("Fisher score (test / train)", both("afs", ".4f"),
             "SphereFace's Angular Fisher Score: within-class over between-class scatter of the directions; lower "
             "is more compact"),
            ("SphereFace criterion", criterion("criterion_met", "max_intra_pair", "min_inter_pair"),
             "max angle between two test features of one class < min angle between two of different classes: "
             "a single outlier decides it"),
            ("Robust criterion", criterion("robust_criterion_met", "intra_p95", "inter_p5"),
             "the same with the 95th percentile of same-class pair angles against the 5th of different-class ones")]
    return [{"label": label, "value": value, "help": help} for label, value, help in out]


def show(view: dict) -> None:
    # The numbers are drawn by the chart's own page: as nine st.metric elements, Streamlit's page spent more of
    # the browser's CPU on them than on the figure, and training on digits in the app ran at 42–53 steps/s
    # instead of 62–69 (docs/design.md, "Profiler findings").
    live_chart(view["figure"], key="live", height=640,
               numbers=numbers(view["status"], view["angles"], view.get("tested_step")), projector=state.projector)
    if view["history"]:
        live_chart(view["history"], key="history", height=200)


def live_view() -> None:
    trainer, player = state.trainer, state.player
    player.heartbeat()
    # Always one element here, so the chart below keeps its place: an element that comes and goes
    # above it would make Streamlit re-mount the chart's iframe (a full reload, the camera lost).
    notice = st.empty()
    sharing = player.sharing(trainer)
    if sharing == "following":
        notice.info("Another session is training this very run, so this one shows it as it goes, without "
                    "training it twice. Moving a *Live* slider makes the run your own.", icon="👥")
    elif sharing == "replaying":
        notice.info("Replaying this run as another session trained it: trained once for the whole room.", icon="⏩")
    elif player.waiting:
        training, waiting = SLOTS.load()
        notice.info(f"Waiting for a free training slot: place {SLOTS.position(state.session_id) or 1} of {waiting} "
                    f"in the queue, {training} sessions training. Training goes on by itself.", icon="⏳")
    if trainer.stopped and not player.wanted and state.get("shown_stop") != trainer.stopped:
        state.shown_stop = trainer.stopped
        st.rerun(scope="app")  # the Play button and the message live outside this fragment
    interval, registered = redraw_interval(), state.get("tick", TICK)
    if player.wanted and not 0.5 < interval / registered < 2:
        st.rerun(scope="app")  # twice or half as many students play now: only a full run sets the interval
    view = state.get("view")
    # Until a full run re-registers the tick, ticks may come up to twice as often as redraws should, and
    # those in between show the last frame again (the browser skips an unchanged figure). A frame is due
    # half a tick early: a room's first frame is drawn late in the run that registers the tick, and the next
    # tick, a little early for it, was skipped, leaving students a whole interval (3 s) behind. A paused or
    # stepped trainer is always drawn fresh.
    if (view is None or not player.wanted or view["status"]["step"] != trainer.step_count and
            time.monotonic() - view["drawn_at"] >= interval - registered / 2):
        view = state.view = frame(trainer, player)
    show(view)


def history_and_replay(trainer: Trainer, player: Player) -> None:
    def latest_run():
        with player.lock:
            return run_from_trainer(trainer)

    def latest_figure():
        run = latest_run()
        return snapshot_figure(trainer.loss, run, len(run.steps) - 1, trainer.seen)

    # drawn only when opened: the replay's figure cost a fifth of every run of this page, and thirty students
    # pressing Play at once wait for thirty runs (bench/load.py, the room)
    panel = st.expander("Replay, downloads and runs", key="replay_panel", on_change="rerun")
    if not panel.open:
        return
    run, curve = latest_run(), state.curve
    with panel:
        if len(run.steps) > 1:
            steps = run.steps.tolist()
            pick = st.select_slider("Replay a recorded step", steps, value=steps[-1])
            st.plotly_chart(snapshot_figure(trainer.loss, run, steps.index(pick), trainer.seen, radius=state.radius),
                            width="stretch")
        # Built when clicked, from the training as it is then: the HTML alone embeds 4.6 MB of plotly.js,
        # too much to rebuild on every rerun and to keep for every student (pages/ui/closed_sessions.py).
        # No rerun after a click: a rerun re-registers the buttons and a second click racing it got a 404.
        c1, c2, c3, c4 = st.columns(4)
        c1.download_button("Figure (HTML)", lambda: to_figure(latest_figure()).to_html(include_plotlyjs=True),
                           "figure.html", "text/html", on_click="ignore")
        c2.download_button("Metrics (CSV)", lambda: pd.DataFrame(list(curve)).to_csv(index=False), "metrics.csv",
                           "text/csv", on_click="ignore")
        c3.download_button("Run (npz)", lambda: run_to_bytes(latest_run()), "run.npz", "application/octet-stream",
                           on_click="ignore")
        if c4.button("Prepare PNG"):
            try:
                png = to_figure(latest_figure()).to_image(format="png", width=1200, height=900)
                c4.download_button("Figure (PNG)", png, "figure.png", "image/png")
            except Exception as err:  # Kaleido needs Chromium; say so rather than fail the page
                c4.warning(f"PNG export needs Chromium: {fault(err)}")
        animation_downloads(trainer, latest_run)
        uploaded = st.file_uploader("Open a run written by the CLI or downloaded here (run.npz)", type=["npz"])
        if uploaded is not None:
            show_uploaded(uploaded)


def animation_downloads(trainer: Trainer, latest_run) -> None:
    """The replay as a GIF and an MP4 for slides, drawn when asked (about 20 s of both cores here)."""
    from sphereface_viz import animation

    if st.button("Prepare animation (GIF and MP4)", help=f"{animation.FRAMES} recorded steps from the start of "
                 "training to now, the title showing each step's loss, m and λ; for slides"):
        run = latest_run()
        if len(run.steps) < 2:
            st.warning("Train a few steps first: an animation needs two recorded steps.")
            return
        try:
            with st.spinner("Drawing the frames…"):
                files = animation.replay(trainer.loss, run, trainer.seen)
        except Exception as err:  # no Chromium, or another animation being drawn: say so, keep the page
            st.warning(f"No animation: {fault(err)}")
            return
        gif, mp4 = st.columns(2)
        gif.download_button("Replay (GIF)", files["gif"], "replay.gif", "image/gif", on_click="ignore")
        mp4.download_button("Replay (MP4)", files["mp4"], "replay.mp4", "video/mp4", on_click="ignore")


def show_uploaded(uploaded) -> None:
    """A run file from the browser: read within sphereface_viz.limits, drawn like the live view (at most
    plots.MAX_POINTS points)."""
    try:
        run = load_run(uploaded.getvalue(), name=uploaded.name[:100])
    except RunFileError as err:
        st.error(str(err))
        return
    try:
        loss, seen = run_loss(run)  # checks every value against the loss's declaration
    except (TypeError, ValueError) as err:
        st.error(f"{uploaded.name[:100]}: its configuration is not one this app can draw: {err}")
        return
    index = len(run.steps) - 1  # a run of one snapshot has no step to choose (a slider of one value fails)
    if index:
        index = st.slider("Step of the uploaded run", 0, index, index)
    st.plotly_chart(snapshot_figure(loss, run, index, seen), width="stretch")  # at most plots.MAX_POINTS drawn


share.restore_first("train", {"loss": Choice(tuple(LOSSES))})  # the loss decides which parameters a link has
defaults()
share.restore("train", link_settings(state.loss))
share.hide_controls()
sidebar()
title, link = st.columns([5, 1], vertical_alignment="bottom")
title.title("Angular margins, live")
with link:
    share.share(share.publish(link_settings(state.loss)))
share.problems("train")
what_am_i_looking_at("One network, one loss, live. Play trains it; the sliders under *Live* change the loss while "
                     "it trains, and the picture follows.")
if state.get("trainer") is None or any(getattr(state.trainer.config, k) != getattr(wanted_config(), k)
                                       for k in RESET_KEYS):
    reset()
if state.error:
    st.error(state.error)
if state.get("trainer") is not None:
    if state.trainer.stopped:
        st.error(f"{state.trainer.stopped}. Change the learning rate (or another live setting) to go on from "
                 "there, or export it below.", icon="🛑")
    controls(state.trainer, state.player)
    st.fragment(live_view, run_every=tick())()
    history_and_replay(state.trainer, state.player)
