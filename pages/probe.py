"""Where does your digit land? A student draws a digit; the Train page's network (its session's trainer and player)
places it as a star among the test images, and a table reads it off against every class: angle to W_j, the
plain logit, the logit with the margin. It follows the training live while the Train page plays.
Everything measured comes from sphereface_viz.probe."""
import hashlib

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from pages.ui.feature_view import feature_view
from pages.ui.notices import notice
from pages.ui.routing import through_router
from pages.ui.sketch import PEN, THICK_PEN, sketch
from sphereface_viz import frames, live
from sphereface_viz.plots import default_radius
from sphereface_viz.probe import EmptyDrawing, prepare, probe, recipe

through_router()

SKETCH = "probe_sketch"    # the pad's value: {"image", "strokes"} or None (a widget's: forgotten on other pages)
DRAWING = "probe_drawing"  # the drawing probed: a 2-D grayscale array (list of rows), or None
STROKES = "probe_strokes"  # its strokes, drawn back by a new pad when the page is opened again
EVERY = 1.0                # seconds between redraws while the Train page's network trains
PAD = 240                  # the pad's side in CSS pixels: 48 × 48 cells of 5 × 5 pixels
HIGHLIGHT = "background-color: #fff1a8; font-weight: 600"
state = st.session_state


def taken() -> None:
    """A stroke ended, or the pad was cleared."""
    value = state.get(SKETCH)
    drawn = isinstance(value, dict)
    state[DRAWING], state[STROKES] = (value.get("image"), value.get("strokes")) if drawn else (None, None)


def digest(drawing) -> str:
    return hashlib.blake2b(np.asarray(drawing, np.float32).tobytes(), digest_size=12).hexdigest()


def table(result: dict):
    """One row per class, the predicted one highlighted; each column's formula in its help."""
    plain, margin = result["formulas"]
    frame = pd.DataFrame({"class": result["names"], "θ_j": result["angles"], "f_j": result["logits"],
                          "with margin": result["margin_logits"], "p_j": result["probabilities"],
                          "wins": ["✓" if w else "" for w in result["wins"]]}).set_index("class")
    predicted = result["names"][result["predicted"]]
    return frame.style.apply(lambda row: [HIGHLIGHT if row.name == predicted else ""] * len(row), axis=1).format(
        {"θ_j": "{:.1f}°", "f_j": "{:.2f}", "with margin": "{:.2f}", "p_j": "{:.0%}"})


def columns_help(result: dict) -> dict:
    plain, margin = result["formulas"]
    return {"θ_j": st.column_config.Column("θ_j", help="the angle between your ★ and the arrow W_j"),
            "f_j": st.column_config.Column("f_j", help=f"the logit the network guesses with: f_j = {plain}; "
                                                        "the largest wins"),
            "with margin": st.column_config.Column("with margin", help=f"the logit class j would get in training if "
                                                                       f"your drawing were labelled j: {margin}"),
            "p_j": st.column_config.Column("p_j", help="softmax of the f_j: how sure the network is"),
            "wins": st.column_config.Column("wins", help="with its margin, class j still beats every other logit: "
                                                         "the ★ is in j's coloured region")}


def verdict(result: dict) -> str:
    j = result["predicted"]
    name, angle = result["names"][j], result["angles"][j]
    if result["loss"] == "softmax":
        return (f"The network says **{name}**, the largest logit W_j·x + b_j: softmax has no margin, and the length "
                f"of W_j and its bias count as much as the angle ({angle:.0f}° from W{result['classes'][j]}).")
    said = f"The network says **{name}**: your ★ is {angle:.0f}° from W{result['classes'][j]}, the closest arrow"
    if result["wins"][j]:
        return said + f", and {name} wins even with the margin: the ★ is in its coloured region."
    return said + (f", but with the margin {name} would not win: the ★ is in a grey gap, where training would "
                   f"still pull a {name} towards W{result['classes'][j]}.")


def picture(trainer, player, project: bool) -> dict | None:
    """The live frame with the drawing's ★, and the probe; rebuilt only when something they show moved."""
    drawing, loss = state.get(DRAWING), trainer.loss
    shown = (id(trainer), trainer.step_count, player.replaying(trainer), repr(loss.hparams()),
             getattr(loss, "lam", None), project, digest(drawing) if drawing is not None else None)
    if state.get("probe_shown") != shown:
        result, problem = None, None
        if drawing is not None:
            try:
                result = probe(trainer, prepare(drawing, trainer.data), lock=player.lock)
            except EmptyDrawing:
                problem = "Your drawing has no ink yet."
            except ValueError as err:
                problem = f"This drawing cannot be read: {err}"
        moment = player.moment(trainer, test=True, score_window=False)
        features = moment.snap.features
        marks = None if result is None else np.asarray([result["feature"]], np.float32)
        fit = default_radius(features, project)
        if marks is not None and not project:
            fit = max(fit, float(np.linalg.norm(marks)) * 1.1)
        old = state.get("probe_radius")
        radius = state.probe_radius = fit if old is None else max(fit, old * 0.98)
        state.probe_frame = frames.build(moment.loss, features, trainer.eval_labels.numpy(), trainer.data.class_names,
                                         trainer.seen, step=moment.status["step"], project=project, radius=radius,
                                         marks=marks)
        state.probe_id, state.probe_result, state.probe_problem = next(live.FRAME_IDS), result, problem
        state.probe_shown = shown
    feature_view(state.probe_frame, state.probe_id, key="probe-view", height=560)
    return state.probe_result


def landing() -> None:
    """The pad and the table at left, the live picture at right. A stroke reruns only this fragment; while the
    Train page's network trains, it reruns every EVERY seconds."""
    trainer, player = state.trainer, state.player
    if player.wanted != state.get("probe_playing"):
        st.rerun(scope="app")  # Play or Pause, here or by the end of training: the pace of this fragment follows
    player.heartbeat()
    notice(player, state.session_id, "Go to Train and change a live setting to go on from there.")
    dataset = trainer.config.dataset
    pad, view = st.columns([1.15, 1.75], gap="medium")
    with view:
        result = picture(trainer, player, state.probe_project)
        if result is not None:
            st.markdown(verdict(result))
        elif state.get("probe_problem"):
            st.info(state.probe_problem, icon="✏️")
        play, project = st.columns([1, 3], vertical_alignment="center")
        play.button("Pause" if player.wanted else "Play", key="probe_play", disabled=bool(trainer.stopped),
                    on_click=player.pause if player.wanted else player.play, width="stretch",
                    help="trains the Train page's network: watch your ★ move as it learns")
        shape = "circle" if trainer.config.dim == 2 else "sphere"
        project.toggle(f"Only the angle: every point on the unit {shape}", key="probe_project", persist_state="session",
                       help="what decides the class. Off: the ★'s distance from the centre is ‖x‖, small while the "
                            "network is unsure")
    with pad:
        sketch(SKETCH, size=PAD, cells=PAD // 5, pen=THICK_PEN if dataset == "digits" else PEN,
               strokes=state.get(STROKES), on_change=taken)
        if result is None:
            clothes = " Fashion-MNIST: draw a piece of clothing." if dataset == "fashion_mnist" else ""
            st.info("Draw one digit, large, with the mouse or a finger: each stroke moves the ★." + clothes,
                    icon="✏️")
        else:
            st.dataframe(table(result), column_config=columns_help(result), width="stretch", height=388)
    st.caption(f"The Train page's network: {dataset}, {trainer.config.dim}-D features, {trainer.loss.title}. "
               f"Your drawing is {recipe(dataset)}.")


st.title("Where does your digit land?")
st.caption("Your drawing goes through the same network as the digits it learns from and comes out as a point, the "
           "★. The network guesses the class whose arrow W_j is closest in angle (the largest logit); training asks "
           "more: the right class must still win after the margin lowers its logit.")
trainer, player = state.get("trainer"), state.get("player")
if trainer is None or player is None:
    st.info("Open Train first, or press Play there: this page shows the network the Train page trains.", icon="👈")
    try:
        st.page_link("pages/train.py", label="Open Train", icon=":material/play_circle:")
    except StreamlitPageNotFoundError:  # run on its own, outside router.py's router (a test)
        st.markdown("[Open Train](./)")
else:  # not st.stop(): a script run bare (a process spawned from a test's) would go on past it
    state.setdefault("probe_project", True)
    state.probe_playing = player.wanted
    st.fragment(landing, run_every=EVERY if player.wanted else None)()
