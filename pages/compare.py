"""Compare: several losses trained together on the same data, seed and initial weights, side by side."""
import math
import uuid

import pandas as pd
import streamlit as st

from pages.ui import share
from pages.ui.faults import fault
from pages.ui.help import what_am_i_looking_at
from pages.ui.live_chart import live_chart
from pages.ui.routing import through_router
from sphereface_viz.compare import ADDITIVE_M, ANGULAR_M, MISSION, WIDTH, configs, margins
from sphereface_viz.export import moment_figure
from sphereface_viz.geometry import gap_fraction
from sphereface_viz.limits import MAX_SEED, no_room_for_a_session
from sphereface_viz.links import Choice, Many, Number
from sphereface_viz.losses import LOSSES
from sphereface_viz.player import Player
from sphereface_viz.plots import default_radius
from sphereface_viz.slots import SLOTS
from sphereface_viz.store import STORE
from sphereface_viz.trainer import Trainer

through_router()

ANGULAR_RANGE, ADDITIVE_RANGE = (1.0, 6.0, 0.1), (0.0, 0.5, 0.01)  # the margin sliders' low, high, step
# What a link may set on this page (sphereface_viz.links), as the controls offer it; keys without "cmp_"
LINK = {"losses": Many(tuple(LOSSES), 2, 6), "dim": Choice((2, 3)), "seed": Number(0, MAX_SEED, integer=True),
        "m_mult": Number(*ANGULAR_RANGE), "m_add": Number(*ADDITIVE_RANGE)}
TICK = 1.0  # a redraw of five panels costs ~0.35 s; training goes on in between (sphereface_viz.player)
state = st.session_state


def build() -> None:
    """One trainer per loss, from the same seed (sphereface_viz.compare)."""
    try:
        state.cmp_error = no_room_for_a_session()
        if state.cmp_error:
            return
        trainers = {name: Trainer(config) for name, config in
                    configs(state.cmp_losses, state.cmp_dim, state.cmp_seed, state.cmp_m_mult, state.cmp_m_add,
                            threads=1, eval_size=600, max_snapshots=2).items()}
        state.cmp_error = None
    except (ValueError, OSError) as err:
        state.cmp_error = fault(err)
        return
    if "cmp_player" in state:
        state.cmp_player.pause()
    state.cmp, state.cmp_player = trainers, Player(list(trainers.values()), SLOTS, state.cmp_session, store=STORE)


def apply_margins() -> None:
    if "cmp_player" not in state:
        return
    with state.cmp_player.lock:
        for name, trainer in state.cmp.items():
            values = margins(name, state.cmp_m_mult, state.cmp_m_add)
            if values:
                trainer.set_live(**values)


def row(name: str, trainer: Trainer, frame) -> dict:
    """The table's line for one loss, at the step its panel shows (training may be a step ahead)."""
    test, train = frame.scores, frame.train_scores
    return {"loss": LOSSES[name].title, "step": frame.snap.step, "test accuracy": f"{test['test_accuracy']:.1%}",
            "Intra (test)": f"{test['intra']:.1f}°", "Intra (training)": degrees(train.get("train_intra")),
            "Inter (mean / min)": f"{test['inter']:.0f}° / {test['inter_min']:.0f}°",
            "Fisher score (AFS)": f"{test['afs']:.4f}",
            "criterion: max intra < min inter": yes_no(test, "criterion_met", "max_intra_pair", "min_inter_pair"),
            "robust: 95th pct < 5th pct": yes_no(test, "robust_criterion_met", "intra_p95", "inter_p5"),
            "unclaimed directions (margin gap)": f"{gap_fraction(frame.loss, 3600):.1%}",
            "stopped": trainer.stopped or ""}


def degrees(value) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}°"


def yes_no(scores: dict, met: str, intra: str, inter: str) -> str:
    """'yes (41° < 52°)': a criterion with the two angles that decide it."""
    return f"{'yes' if scores[met] else 'no'} ({degrees(scores[intra])} vs {degrees(scores[inter])})"


def grid() -> None:
    trainers, player = state.cmp, state.cmp_player
    player.heartbeat()
    notice = st.empty()  # a fixed place for the notice, so the charts below are never re-mounted
    if player.waiting:
        notice.info(f"Waiting for a free training slot (place {SLOTS.position(state.cmp_session) or 1} in the "
                "queue). Training goes on by itself.", icon="⏳")
    with player.lock:  # every panel at the same step (so here the embeddings run under the lock too)
        frames = {name: player.moment(trainer) for name, trainer in trainers.items()}
    radius = max(default_radius(f.snap.features, False) for f in frames.values())  # one scale for every panel
    rows = []
    columns = st.columns(min(3, len(trainers)))
    for k, (name, trainer) in enumerate(trainers.items()):
        frame = frames[name]
        figure = moment_figure(trainer, frame.snap, frame.loss, wrap=True,
                               radius=radius if name == "softmax" else None, project=name != "softmax")
        figure["layout"]["showlegend"] = False
        figure["layout"]["title"]["font"]["size"] = 18
        figure["layout"]["margin"]["t"] = 75  # two title lines
        with columns[k % len(columns)]:
            live_chart(figure, key=f"cmp-{name}", height=380)
        rows.append(row(name, trainer, frame))
    st.dataframe(pd.DataFrame(rows).set_index("loss"), width="stretch")


state.setdefault("cmp_session", uuid.uuid4().hex)
for key, value in {"losses": list(MISSION), "dim": 2, "seed": 0, "m_mult": ANGULAR_M, "m_add": ADDITIVE_M}.items():
    state.setdefault("cmp_" + key, value)
share.restore("compare", LINK, prefix="cmp_")
share.hide_controls()
title, link = st.columns([5, 1], vertical_alignment="bottom")
title.title("Losses side by side")
with link:
    share.share(share.publish(LINK, prefix="cmp_"))
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
    st.number_input("Seed", 0, MAX_SEED, key="cmp_seed", on_change=build, **keep)
    st.header("Margins (live)")
    low, high, step = ANGULAR_RANGE
    st.slider("A-Softmax m", low, high, step=step, key="cmp_m_mult", on_change=apply_margins, **keep,
              help="live: drag right and the A-Softmax panel's grey gaps widen, its classes tighten")
    low, high, step = ADDITIVE_RANGE
    st.slider("Additive m (CosFace, ArcFace in radians, SV-Softmax)", low, high, step=step, key="cmp_m_add",
              help="live: drag right and those panels' grey gaps widen, their classes tighten",
              on_change=apply_margins, **keep)

if len(state.cmp_losses) < 2:
    st.warning("Choose at least two losses to compare.")
    st.stop()
if "cmp" not in state or list(state.cmp) != list(state.cmp_losses):
    build()
if state.get("cmp_error"):
    st.error(state.cmp_error)
    st.stop()
play, restart, _ = st.columns([1, 1, 5])
player = state.cmp_player
if play.button("Pause" if player.wanted else "Play", type="primary", width="stretch"):
    player.pause() if player.wanted else player.play()
    st.rerun()
if restart.button("Reset", width="stretch"):
    build()
    st.rerun()
st.fragment(grid, run_every=TICK if player.wanted else None)()
