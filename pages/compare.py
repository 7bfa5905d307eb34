"""Compare: several losses trained together on the same data, seed and initial weights, side by side."""
import uuid

import pandas as pd
import streamlit as st

from pages.ui import projection, share
from pages.ui.projection import sphere_control
from pages.ui.faults import fault
from pages.ui.help import what_am_i_looking_at
from pages.ui.hparams import control, link_control
from pages.ui.feature_view import fed, feature_view
from pages.ui.notices import connected, notice
from pages.ui.open_set import HOLDOUT, LIVE_POINTS, holdout_control, rows
from pages.ui.playbar import play_bar
from pages.ui.routing import through_router
from pages.ui.scores import compactness
from sphereface_viz.compare import MISSION, WIDTH, configs, margin
from sphereface_viz import live
from sphereface_viz.geometry import gap_fraction
from sphereface_viz.limits import MAX_SEED, no_room_for_a_session
from sphereface_viz.links import Choice, Many, Number
from sphereface_viz.losses import LOSSES
from sphereface_viz.player import Player
from sphereface_viz.slots import SLOTS
from sphereface_viz.store import STORE
from sphereface_viz.trainer import Trainer
from sphereface_viz.verification import open_set

through_router()

MARGINS = [name for name in LOSSES if margin(name)]  # the losses with an m: each its own slider, "m_<loss>" in a link
# What a link may set on this page (sphereface_viz.links), as the controls offer it; keys without "cmp_"
LINK = {"losses": Many(tuple(LOSSES), 2, 6), "dim": Choice((2, 3)), "seed": Number(0, MAX_SEED, integer=True),
        "holdout": HOLDOUT,
        **{f"m_{name}": link_control(margin(name)) for name in MARGINS}, "view": projection.LINK}
PACE = 0.25  # seconds at least between a panel's frames: up to six panels draw six times the frames of one
state = st.session_state


def build() -> None:
    """One trainer per loss, from the same seed (sphereface_viz.compare)."""
    try:
        state.cmp_error = no_room_for_a_session()
        if state.cmp_error:
            return
        trainers = {name: Trainer(config) for name, config in
                    configs(state.cmp_losses, state.cmp_dim, state.cmp_seed, margins(), threads=1, eval_size=600,
                            max_snapshots=2, holdout=tuple(state.cmp_holdout)).items()}
        state.cmp_error = None
    except (ValueError, OSError) as err:
        state.cmp_error = fault(err)
        return
    if "cmp_player" in state:
        state.cmp_player.pause()
    state.cmp, state.cmp_player = trainers, Player(list(trainers.values()), SLOTS, state.cmp_session, store=STORE,
                                                     connected=connected())
    # softmax, with its bias, is drawn in the plane; every other loss on the circle or sphere
    state.cmp_views = {name: live.View(project=name != "softmax", wrap=True) for name in trainers}


def margins() -> dict[str, float]:
    """Each chosen margin loss's m, from its slider."""
    return {name: state[f"cmp_m_{name}"] for name in state.cmp_losses if name in MARGINS}


def apply_margins() -> None:
    if "cmp_player" not in state:
        return
    with state.cmp_player.lock:
        for name, m in margins().items():
            state.cmp[name].set_live(m=m)


def row(name: str, trainer: Trainer, view: live.View) -> dict:
    """The table's line for one loss, at the step its panel shows (training may be a step ahead)."""
    frame = view.moment
    return {"loss": LOSSES[name].title, "step": frame.snap.step, **compactness(view.scores),
            "unclaimed directions (margin gap)": f"{gap_fraction(frame.loss, 3600):.1%}",
            "stopped": trainer.stopped or ""}


def open_set_rows(trainer: Trainer, view: live.View) -> dict:
    """Verification on the held-out digits at the panel's embedding (pages/ui/open_set.py), while measured."""
    if not (state.cmp_open_set and len(trainer.config.holdout) >= 2):
        return {}
    snap, cache = view.moment.snap, state.setdefault("cmp_open_sets", {})
    if cache.get(id(trainer), (None,))[0] != snap.step:
        measured = open_set(snap.features, trainer.eval_labels.numpy(), trainer.seen, max_points=LIVE_POINTS,
                            sets=("unseen",))
        cache[id(trainer)] = (snap.step, measured["unseen"])
    return rows(cache[id(trainer)][1], prefix="held-out digits: ")


def grid() -> None:
    trainers, player, views = state.cmp, state.cmp_player, state.cmp_views
    player.heartbeat()
    notice(player, state.cmp_session, "Move a margin slider to go on from there, or press Reset.")
    # while playing, each panel fetches its own frames (sphereface_viz.stage): this run keeps the notice and the table true
    feeds = {name: fed(f"cmp-{name}", player, trainers[name], view, pace=PACE) for name, view in views.items()}
    if not player.wanted:
        with player.lock:  # every panel at the same step
            for name, trainer in trainers.items():
                views[name].update(player, trainer)
    columns = st.columns(min(3, len(trainers)))
    for k, (name, view) in enumerate(views.items()):
        with columns[k % len(columns)]:
            feature_view(view.frame, view.id, key=f"cmp-{name}", height=380, legend=False, projection=state.cmp_view,
                         feed=feeds[name])
    # one column per loss, one row per measure: the measures' long names fit as row labels, not as cut headers
    table = pd.DataFrame([{**row(name, trainers[name], view), **open_set_rows(trainers[name], view)}
                          for name, view in views.items()]).set_index("loss").T
    table = table.astype(str)  # a column mixes the step (a number) with formatted values: all text for Arrow
    st.dataframe(table, width="stretch", height=35 * (len(table) + 1) + 3)


state.setdefault("cmp_session", uuid.uuid4().hex)
for key, value in {"losses": list(MISSION), "dim": 2, "seed": 0, "view": "globe", "holdout": [], "open_set": False,
                   **{f"m_{name}": margin(name).default for name in MARGINS}}.items():
    state.setdefault("cmp_" + key, value)
share.restore("compare", LINK, prefix="cmp_")
share.hide_controls()
title, link = st.columns([5, 1], vertical_alignment="bottom")
title.title("Losses side by side")
with link:
    # the margins of the losses shown only: a link with every loss's m would be long and say nothing more
    share.share(share.publish({k: v for k, v in LINK.items() if not k.startswith("m_") or k[2:] in state.cmp_losses},
                              prefix="cmp_"))
share.problems("compare")
what_am_i_looking_at("One panel per loss, all from the same start: the differences between panels are the losses' "
                     "own. The table compares their compactness.")
st.caption(f"Same digits, same seed, same initial CNN weights and batches: only the loss differs. The CNN is "
           f"{WIDTH} channels wide, half the Train page's default, so that five train at once.")
with st.sidebar:
    keep = {"persist_state": "session"}  # kept across pages: a visit to Train would otherwise rebuild these
    st.multiselect("Losses (2 to 6)", list(LOSSES), key="cmp_losses", max_selections=6,
                   format_func=lambda name: LOSSES[name].title, on_change=build, **keep)
    st.radio("Feature dimension", [2, 3], horizontal=True, key="cmp_dim", on_change=build, **keep)
    if state.cmp_dim == 3:
        sphere_control("cmp_view")
    st.number_input("Seed", 0, MAX_SEED, key="cmp_seed", on_change=build, **keep)
    holdout_control("cmp_holdout", "digits", on_change=build, **keep)
    st.toggle("Measure the open set", key="cmp_open_set", disabled=len(state.cmp_holdout) < 2, **keep,
              help="verification on the held-out digits, per loss, in the table (two held out at least): AUC, TAR "
                   "at FAR = 1% and SphereFace's criterion on digits never trained on")
    st.header("Margins (live)")
    for name in [n for n in state.cmp_losses if n in MARGINS]:  # each loss's own m: their units differ
        control(margin(name), f"cmp_m_{name}", on_change=apply_margins, label=f"{LOSSES[name].title}: m", **keep)

if len(state.cmp_losses) < 2:
    st.warning("Choose at least two losses to compare.")
    st.stop()
if "cmp" not in state or list(state.cmp) != list(state.cmp_losses):
    build()
if state.get("cmp_error"):
    st.error(state.cmp_error)
    st.stop()
player = state.cmp_player
play_bar(player, build)
st.fragment(grid, run_every=live.NOTICE_EVERY if player.wanted else None)()
