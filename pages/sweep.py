"""Margin sweep: one loss at several margins, trained side by side from the same seed (SphereFace Fig. 5)."""
import functools
import uuid

import numpy as np
import pandas as pd
import streamlit as st

from pages.ui import projection, share
from pages.ui.projection import sphere_control
from pages.ui.faults import fault
from pages.ui.help import what_am_i_looking_at
from pages.ui.feature_view import fed, feature_view
from pages.ui.live_chart import live_chart
from pages.ui.notices import connected, notice
from pages.ui.playbar import play_bar
from pages.ui.routing import through_router
from pages.ui.scores import compactness
from sphereface_viz import live
from sphereface_viz.limits import MAX_SEED, MAX_SWEEP_VALUES, no_room_for_a_session
from sphereface_viz.links import Choice, Many, Number
from sphereface_viz.losses import LOSSES
from sphereface_viz.player import Player
from sphereface_viz.plots import figure_title
from sphereface_viz.recipe import NO_SCHEDULE
from sphereface_viz.slots import SLOTS
from sphereface_viz.store import STORE
from sphereface_viz.sweep import configs, sweep_chart, value_label
from sphereface_viz.trainer import Trainer

through_router()

PACE = 0.5  # seconds at least between a panel's frames: up to MAX_SWEEP_VALUES panels, each on a sphere
SWEPT = {name: cls.swept() for name, cls in LOSSES.items() if cls.swept() is not None}
state = st.session_state


def candidates(param) -> list[float]:
    """The values offered: the declared grid, and evenly spread ones across the slider's range."""
    low, high, _ = param.widget
    spread = np.round(np.linspace(low, high, 9), 2).tolist()
    return sorted({*param.grid, *spread})


def link_settings(param) -> dict:
    """What a link may set on this page (sphereface_viz.links); keys without "sw_"."""
    return {"loss": Choice(tuple(SWEPT)), "values": Many(tuple(candidates(param)), 1, MAX_SWEEP_VALUES),
            "dim": Choice((2, 3)), "seed": Number(0, MAX_SEED, integer=True), "view": projection.LINK}


def build() -> None:
    """One trainer per value, all from the same seed (sphereface_viz.sweep.configs)."""
    try:
        state.sw_error = no_room_for_a_session()
        if state.sw_error:
            return
        made = configs(state.sw_loss, state.sw_values, state.sw_dim, state.sw_seed, threads=1, eval_size=600,
                       max_snapshots=2, snapshot_every=NO_SCHEDULE)
        trainers = {value: Trainer(config) for value, config in made.items()}
        state.sw_error = None
    except (ValueError, OSError) as err:  # a bad value keeps the sweep already trained
        state.sw_error = fault(err)
        return
    if "sw_player" in state:
        state.sw_player.pause()
    state.sw, state.sw_player = trainers, Player(list(trainers.values()), SLOTS, state.sw_session, until_end=True,
                                                   store=STORE, connected=connected(), lanes=SLOTS.capacity)
    state.sw_views = {value: live.View(project=True) for value in trainers}
    state.sw_built = (state.sw_loss, tuple(sorted(state.sw_values)), state.sw_dim, state.sw_seed)


def panels() -> None:
    trainers, player, views, param = state.sw, state.sw_player, state.sw_views, SWEPT[state.sw_loss]
    player.heartbeat()
    notice(player, state.sw_session)
    if not player.wanted and state.get("sw_playing"):
        state.sw_playing = False
        st.rerun(scope="app")  # training ended by itself: the Play button lives outside this fragment
    state.sw_playing = player.wanted
    # while playing, each panel fetches its own frames (sphereface_viz.stage): this run keeps the notice, chart and table true
    if not player.wanted:
        with player.lock:  # every panel at the same step
            for value, trainer in trainers.items():
                views[value].update(player, trainer)
    done = sum(t.step_count for t in trainers.values()) / sum(t.total_steps for t in trainers.values())
    st.progress(min(done, 1.0), text=f"trained {done:.0%} of every value's schedule" if done < 1 else
                "every value trained to the end of its schedule")
    columns = st.columns(len(trainers))
    for column, (value, view) in zip(columns, views.items()):
        title = functools.partial(panel_title, param, value)
        with column:
            feature_view(view.frame, view.id, key=f"sw-{value}", height=330, legend=False, projection=state.sw_view,
                         feed=fed(f"sw-{value}", player, trainers[value], view, title, pace=PACE), **title(view))
    values = list(views)
    metrics = [view.scores for view in views.values()]
    live_chart(sweep_chart(values, metrics, param), key="sw-chart", height=420)
    st.dataframe(pd.DataFrame([{param.name: value, "step": v.moment.snap.step, **compactness(m)}
                               for (value, v), m in zip(views.items(), metrics)]).set_index(param.name),
                 width="stretch")
    # One value large, picked with a slider: its panel's own frame, no retraining; in 3-D the view keeps
    # its turn as the value changes (one chart key for every value).
    pick = st.select_slider(f"Look closer: {param.name}", values, key="sw_pick")
    view = views[pick]
    feature_view(view.frame, view.id, key="sw-pick-chart", height=560, projection=state.sw_view,
                 feed=fed("sw-pick-chart", player, trainers[pick], view, large_title, pace=PACE), **large_title(view))


def panel_title(param, value: float, view: live.View) -> dict:
    """A small panel's title: its value, then Intra and the accuracy of the frame shown."""
    scores = view.moment.scores
    return {"title": f"{value_label(param, value)}<br>Intra {scores['intra']:.1f}° · {scores['test_accuracy']:.1%}"}


def large_title(view: live.View) -> dict:
    """The large panel's title: the loss and its values, as on the Train page."""
    return {"title": figure_title(view.moment.loss, view.moment.status["step"])}


state.setdefault("sw_session", uuid.uuid4().hex)
for key, value in {"loss": next(iter(SWEPT)), "dim": 3, "seed": 0, "view": "globe"}.items():
    state.setdefault("sw_" + key, value)
share.restore_first("sweep", {"loss": Choice(tuple(SWEPT))}, prefix="sw_")  # the loss decides the values offered
param = SWEPT[state.sw_loss]
if state.get("sw_values_for") != state.sw_loss:  # a new loss starts from its own grid
    state.sw_values, state.sw_values_for = list(param.grid), state.sw_loss
share.restore("sweep", link_settings(param), prefix="sw_")
share.hide_controls()
title, link = st.columns([5, 1], vertical_alignment="bottom")
title.title("Sliding the margin")
st.caption("One loss at several margins, each trained from the same seed: the same initial CNN, the same batches, "
           "the same test images. Only the margin differs, as in SphereFace's Fig. 5: watch the classes shrink.")
with st.sidebar:
    keep = {"persist_state": "session"}
    st.selectbox("Loss", list(SWEPT), key="sw_loss", format_func=lambda name: LOSSES[name].title, **keep)
    st.multiselect(f"Values of {param.name}" + (f" ({param.unit})" if param.unit else ""), candidates(param),
                   key="sw_values", max_selections=MAX_SWEEP_VALUES, help=param.help, **keep)
    st.radio("Feature dimension", [2, 3], horizontal=True, key="sw_dim", **keep,
             help="the sphere has room for large margins; on the circle ten classes run out of it")
    if state.sw_dim == 3:
        sphere_control("sw_view")
    st.number_input("Seed", 0, MAX_SEED, key="sw_seed", **keep)
with link:
    share.share(share.publish(link_settings(param), prefix="sw_"))
share.problems("sweep")
what_am_i_looking_at("One panel per value of the margin, all from the same start. The chart below plots Intra and "
                     "Inter against it; the histograms show the angles within and between classes pulling apart "
                     "as it grows.")

if not state.sw_values:
    st.warning("Choose at least one value to train.")
    st.stop()
if state.get("sw_built") != (state.sw_loss, tuple(sorted(state.sw_values)), state.sw_dim, state.sw_seed):
    build()
if state.get("sw_error"):
    st.error(state.sw_error)
if "sw" not in state:
    st.stop()
player = state.sw_player
play_bar(player, build, done=not player.unfinished() or bool(player.stopped))
st.fragment(panels, run_every=live.NOTICE_EVERY if player.wanted else None)()
