"""The Train page's "Replay, downloads and runs" panel: drawn only when opened, each download built when
clicked, from the training as it is then."""
import pandas as pd
import streamlit as st

from pages.ui.faults import fault
from sphereface_viz.export import run_loss, snapshot_figure
from sphereface_viz.player import Player
from sphereface_viz.plots import to_figure
from sphereface_viz.runio import RunFileError, load_run, run_from_trainer, run_to_bytes
from sphereface_viz.trainer import Trainer


def history_and_replay(trainer: Trainer, player: Player, curve: list[dict], radius: float | None) -> None:
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
    run = latest_run()
    with panel:
        if len(run.steps) > 1:
            steps = run.steps.tolist()
            pick = st.select_slider("Replay a recorded step", steps, value=steps[-1])
            st.plotly_chart(snapshot_figure(trainer.loss, run, steps.index(pick), trainer.seen, radius=radius),
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
