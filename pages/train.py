"""Train: a live trainer. Play / Pause / Step / Reset; m, s, t and the learning rate change live,
dataset, dimension and loss reset. Everything trained or drawn comes from sphereface_viz."""
import math
import time
import uuid

import pandas as pd
import streamlit as st

from pages.live_chart import live_chart
from pages.routing import through_router
from sphereface_viz.data import DATASETS
from sphereface_viz.export import moment_figure, snapshot_figure
from sphereface_viz.losses import LOSSES, default_hparams
from sphereface_viz.player import Player
from sphereface_viz.plots import default_radius, history_figure, to_figure, to_json
from sphereface_viz.runio import RunFileError, load_run, run_from_trainer, run_to_bytes
from sphereface_viz.slots import SLOTS
from sphereface_viz.trainer import TrainConfig, Trainer

through_router()

TICK = 0.2  # seconds between redraws while playing; training runs on in between (sphereface_viz.player)
HISTORY_EVERY = 1.0  # seconds between redraws of the history chart while playing
RESET_KEYS = ("dataset", "data_dir", "dim", "loss", "seed", "batch_size", "width", "eval_size")
state = st.session_state


def wanted_config() -> TrainConfig:
    return TrainConfig(dataset=state.dataset, data_dir=state.data_dir or None, dim=state.dim, loss=state.loss,
                       seed=state.seed, batch_size=state.batch_size, width=state.width, threads=1,
                       snapshot_every=10**9, max_snapshots=300, eval_size=state.points, **live_values(state.loss))


def live_values(loss: str) -> dict:
    """The live sliders that apply to this loss, by their SPEC.md names."""
    names = default_hparams(loss)
    out = {k: state[k] for k in ("m", "s", "t", "lambda_min", "lambda_base") if k in names and k in state}
    if "variant" in names and "variant" in state:
        out["variant"] = state.variant
    if "lr" in state:
        out["lr"] = state.lr
    return out


def reset() -> None:
    """Build a fresh trainer from the reset-level controls; on bad input keep the old one and say why."""
    try:
        trainer = Trainer(wanted_config())
        state.error = None
    except (ValueError, OSError) as err:  # DataError included
        state.error = str(err)
        return
    if "player" in state:
        state.player.pause()
    state.trainer, state.player = trainer, Player([trainer], SLOTS, state.session_id)
    state.radius, state.curve = None, []
    trainer.snapshot()


def apply_live() -> None:
    trainer = state.get("trainer")
    if trainer is None:
        return
    values = {k: v for k, v in live_values(trainer.config.loss).items() if getattr(trainer.config, k) != v}
    try:
        with state.player.lock:
            trainer.set_live(**values)
        state.error = None
    except ValueError as err:
        state.error = str(err)


def sidebar() -> None:
    # persist_state: a visit to Compare or Geometry would otherwise drop every value and reset the training
    keep = {"persist_state": "session"}
    with st.sidebar:
        st.header("Data and model")
        st.caption("Changing these resets training.")
        st.selectbox("Dataset", DATASETS, key="dataset", on_change=reset, **keep)
        if state.dataset != "digits":
            st.text_input("Data folder (blank: download to the user cache)", key="data_dir", on_change=reset, **keep)
        st.radio("Feature dimension", [2, 3], key="dim", horizontal=True, on_change=reset, **keep)
        st.selectbox("Loss", list(LOSSES), key="loss", format_func=lambda name: LOSSES[name].title, on_change=reset,
                     **keep)
        with st.expander("More"):
            st.number_input("Seed", 0, 10**6, key="seed", on_change=reset, **keep)
            st.select_slider("Batch size", [16, 32, 64, 128, 256], key="batch_size", on_change=reset, **keep)
            st.select_slider("CNN width", [4, 8, 16, 32], key="width", on_change=reset, **keep)
            # each redraw embeds them: 2,000 MNIST images cost ~300 ms of a core, 1,000 half that
            st.select_slider("Test images drawn", [250, 500, 1000, 2000], key="points", on_change=reset, **keep)
        st.header("Live")
        st.caption("These change the loss while it trains.")
        loss = state.loss
        if loss == "a_softmax":
            st.slider("Margin m", 1.0, 6.0, key="m", step=0.1, on_change=apply_live, **keep)
            st.slider("λ floor (λ_min; 0 with start 0 is the pure loss)", 0.0, 20.0, key="lambda_min", step=0.5,
                      on_change=apply_live, **keep)
            st.select_slider("λ start (λ_base)", [0.0, 10.0, 100.0, 1000.0], key="lambda_base", on_change=apply_live,
                             **keep)
        elif loss in ("cosface", "arcface", "sv_softmax"):
            st.slider("Margin m" + (" (radians)" if loss == "arcface" else ""), 0.0, 0.8, key="m", step=0.01,
                      on_change=apply_live, **keep)
            st.slider("Scale s", 1.0, 64.0, key="s", step=1.0, on_change=apply_live, **keep)
        if loss == "sv_softmax":
            st.slider("t", 1.0, 2.0, key="t", step=0.05, on_change=apply_live, **keep)
            st.radio("Ground truth g", ["plain", "am", "arc"], key="variant", horizontal=True, on_change=apply_live,
                     **keep)
        st.select_slider("Learning rate", [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2], key="lr",
                         on_change=apply_live, **keep)
        st.toggle(f"Project features onto the unit {'circle' if state.dim == 2 else 'sphere'}", key="project", **keep)


def defaults() -> None:
    base = {"session_id": uuid.uuid4().hex, "dataset": "digits", "data_dir": "", "dim": 2, "loss": "a_softmax", "seed": 0, "batch_size": 64,
            "width": 16, "points": 1000, "project": False, "error": None, "curve": []}
    for key, value in base.items():
        state.setdefault(key, value)
    loss_defaults = default_hparams(state.loss)
    for key in ("m", "s", "t", "variant", "lambda_min", "lambda_base"):
        if key in loss_defaults and (key not in state or state.get("defaults_for") != state.loss):
            state[key] = loss_defaults[key]
    if state.get("defaults_for") != state.loss:
        state.lr = TrainConfig(loss=state.loss).lr
        state.defaults_for = state.loss


def controls(trainer: Trainer, player: Player) -> None:
    play, step, restart, _ = st.columns([1, 1, 1, 4])
    if play.button("Pause" if player.wanted else "Play", type="primary", width="stretch",
                   disabled=bool(trainer.stopped)):
        player.pause() if player.wanted else player.play()
        st.rerun()
    if step.button("Step", width="stretch", disabled=player.wanted or bool(trainer.stopped)):
        with player.lock:
            trainer.step(1)
            trainer.snapshot()
    if restart.button("Reset", width="stretch"):
        reset()
        st.rerun()


def redraw_interval() -> float:
    """TICK, stretched when the server has more playing sessions than training slots: one process draws
    for every student, and redraws that cannot keep up would starve the training they show."""
    training, waiting = SLOTS.load()
    return TICK * max(1.0, (training + waiting) / SLOTS.capacity)


def frame(trainer: Trainer, player: Player) -> dict:
    """Everything the live view shows, at one moment: the figure (as JSON), the numbers, the curves."""
    snap, angles, status, loss = player.moment(trainer)
    radius = default_radius(snap.features, state.project)
    # grow at once, shrink slowly: the axes stay still while the features settle
    state.radius = radius if state.radius is None else max(radius, state.radius * 0.98)
    if not state.curve or state.curve[-1]["step"] != status["step"]:
        del state.curve[:-2000]  # bounded memory per session
        state.curve.append({"step": status["step"], "loss": status["loss"], "train accuracy": status["train_accuracy"],
                            "test accuracy": angles["test_accuracy"]})
    figure = moment_figure(trainer, snap, loss, project=state.project, radius=state.radius)
    curve, last = state.curve[-400:], state.get("view") or {}
    history, history_at = last.get("history"), last.get("history_at", -math.inf)
    # The curves move slowly: while playing they redraw once a second, not every tick (~30 ms of browser each)
    if len(curve) < 2:
        history = None
    elif not player.wanted or time.monotonic() - history_at >= HISTORY_EVERY:
        # a plotly dict, redrawn in place: st.line_chart's Altair validation cost 40% of a tick
        column = {key: [row[key] for row in curve] for key in curve[0]}
        accuracies = {k: column[k] for k in ("train accuracy", "test accuracy")}
        history = to_json(history_figure(column["step"], column["loss"], accuracies))
        history_at = time.monotonic()
    return {"figure": to_json(figure), "history": history, "history_at": history_at, "status": status,
            "angles": angles, "drawn_at": time.monotonic()}


def numbers(status: dict, angles: dict) -> list[dict]:
    """The live numbers beside the chart, of the same moment as its figure: label, value and help."""
    def dash(value: float, form: str) -> str:
        return "—" if math.isnan(value) else format(value, form)
    out = [("Step", f"{status['step']:,}", f"epoch {status['epoch']:.2f}"),
           ("Loss", dash(status["loss"], ".3f"), None),
           ("Train accuracy", dash(status["train_accuracy"], ".1%"), None),
           ("Test accuracy", f"{angles['test_accuracy']:.1%}", None)]
    if status["lambda"] is not None:
        out.append(("λ (annealing)", f"{status['lambda']:.2f}",
                    "A-Softmax's target logit is (λ cos θ + ψ(θ)) / (1 + λ): large λ, small margin."))
    out += [("Learning rate", f"{status['lr']:.4f}", None),
            ("Max angle within a class", f"{angles['max_intra_angle_all']:.0f}°",
             "Largest angle of a test feature to its class centre (SphereFace's intra-class angle)."),
            ("Min angle between classes", f"{angles['min_inter_angle']:.0f}°", None),
            ("SphereFace criterion", "met" if angles["criterion_met"] else "not met",
             "Met when the largest intra-class angle is below the smallest inter-class angle.")]
    return [{"label": label, "value": value, "help": help} for label, value, help in out]


def show(view: dict) -> None:
    # The numbers are drawn by the chart's own page: as nine st.metric elements, Streamlit's page spent more of
    # the browser's CPU on them than on the figure, and training on digits in the app ran at 42–53 steps/s
    # instead of 62–69 (README, "A classroom on one server").
    live_chart(view["figure"], key="live", height=640, numbers=numbers(view["status"], view["angles"]))
    if view["history"]:
        live_chart(view["history"], key="history", height=200)


def live_view() -> None:
    trainer, player = state.trainer, state.player
    player.heartbeat()
    # Always one element here, so the chart below keeps its place: an element that comes and goes
    # above it would make Streamlit re-mount the chart's iframe (a full reload, the camera lost).
    notice = st.empty()
    if player.waiting:
        training, waiting = SLOTS.load()
        notice.info(f"Waiting for a free training slot: place {SLOTS.position(state.session_id) or 1} of {waiting} "
                    f"in the queue, {training} sessions training. Training goes on by itself.", icon="⏳")
    if trainer.stopped and not player.wanted and state.get("shown_stop") != trainer.stopped:
        state.shown_stop = trainer.stopped
        st.rerun(scope="app")  # the Play button and the message live outside this fragment
    view = state.get("view")
    # Under load, ticks between redraws show the last frame again (the browser skips an unchanged
    # figure); a paused or stepped trainer is always drawn fresh.
    if (view is None or not player.wanted or view["status"]["step"] != trainer.step_count and
            time.monotonic() - view["drawn_at"] >= redraw_interval() - TICK / 2):
        view = state.view = frame(trainer, player)
    show(view)


def history_and_replay(trainer: Trainer, player: Player) -> None:
    def latest_run():
        with player.lock:
            return run_from_trainer(trainer)

    def latest_figure():
        run = latest_run()
        return snapshot_figure(trainer.loss, run, len(run.steps) - 1, trainer.seen)

    run, curve = latest_run(), state.curve
    with st.expander("Replay, downloads and runs"):
        if len(run.steps) > 1:
            steps = run.steps.tolist()
            pick = st.select_slider("Replay a recorded step", steps, value=steps[-1])
            st.plotly_chart(snapshot_figure(trainer.loss, run, steps.index(pick), trainer.seen, radius=state.radius),
                            width="stretch")
        # Built when clicked, from the training as it is then: the HTML alone embeds 4.6 MB of plotly.js,
        # too much to rebuild on every rerun and to keep for every student (pages/closed_sessions.py).
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
                c4.warning(f"PNG export needs Chromium: {err}")
        uploaded = st.file_uploader("Open a run written by the CLI or downloaded here (run.npz)", type=["npz"])
        if uploaded is not None:
            show_uploaded(uploaded)


def show_uploaded(uploaded) -> None:
    try:
        run = load_run(uploaded.getvalue(), name=uploaded.name)
    except RunFileError as err:
        st.error(str(err))
        return
    from sphereface_viz.losses import build_loss

    config = run.config
    hparams = {k: config.get(k) for k in ("m", "s", "t", "variant") if config.get(k) is not None}
    seen = [c for c in range(len(run.class_names)) if c not in config.get("holdout", [])]
    loss = build_loss(config["loss"], run.features.shape[2], len(seen), **hparams)
    index = st.slider("Step of the uploaded run", 0, len(run.steps) - 1, len(run.steps) - 1)
    st.plotly_chart(snapshot_figure(loss, run, index, seen), width="stretch")


defaults()
sidebar()
st.title("Angular margins, live")
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
    st.fragment(live_view, run_every=TICK if state.player.wanted else None)()
    history_and_replay(state.trainer, state.player)
