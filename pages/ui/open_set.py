"""The open set (sphereface_viz.verification): were two test images of one digit? Measured on the digits held out of
training, as face verification is on identities a model never saw, and beside it on the digits trained on."""
import pandas as pd
import streamlit as st

from pages.ui.live_chart import live_chart
from pages.ui.scores import criterion, shown
from sphereface_viz.data import class_names
from sphereface_viz.links import Many
from sphereface_viz.plots import to_json, verification_figure
from sphereface_viz.trainer import Trainer
from sphereface_viz.verification import open_set

CLASSES = tuple(range(10))  # every dataset's (sphereface_viz.data)
# Images per set the live panels measure: 600 (180,000 pairs) cost ~0.1 s of the interpreter the training shares,
# once per embedding; 1,000 (the CLI's) cost ~0.2 s
LIVE_POINTS = 600
HOLDOUT = Many(CLASSES, 0, len(CLASSES) - 2, why="at least two must stay in training")  # its link control
state = st.session_state


def holdout_control(key: str, dataset: str, **options) -> None:
    """The classes kept out of training, a reset-level setting; the link key is HOLDOUT's."""
    st.multiselect("Hold out digits", CLASSES, key=key, max_selections=HOLDOUT.most,
                   format_func=lambda c: class_names(dataset)[c], **options,
                   help="kept out of training: the open set. They are drawn as unseen, and the panel *Open set* "
                        "measures how well the features tell them apart")


def verification_panel(trainer: Trainer, moment) -> None:
    """Verification on the held-out digits and on the trained ones (sphereface_viz.verification), of the test
    images' latest embedding; computed only while the panel is open, once per embedding (at most once a second)."""
    panel = st.expander("Open set: same digit or not, on digits never trained on", key="verification_panel",
                        on_change="rerun")
    if not panel.open:
        return
    snap = moment.snap
    if state.get("verification_of") != (id(trainer), snap.step):
        measured = open_set(snap.features, trainer.eval_labels.numpy(), trainer.seen, max_points=LIVE_POINTS)
        state.verification, state.verification_of = measured, (id(trainer), snap.step)
        state.verification_chart = to_json(verification_figure(measured, snap.step))
    with panel:
        if state.verification["unseen"] is None:
            st.info("Hold out two digits or more (sidebar, *More*: **Hold out digits**) to measure how well the "
                    "features tell digits apart that the network never trained on. Below: the digits it trained on.",
                    icon=":material/visibility_off:")
        st.dataframe(verification_table(state.verification, trainer.data.class_names), width="stretch")
        live_chart(state.verification_chart, key="verification", height=300)


def verification_table(measured: dict, names) -> pd.DataFrame:
    """One column per set (held-out, trained digits), one row per measure, as text; names: the classes' names."""
    return pd.DataFrame({f"{title} ({', '.join(names[c] for c in measured[name]['classes'])})": rows(measured[name])
                         for name, title in (("unseen", "held-out digits"), ("seen", "trained digits"))
                         if measured.get(name)})


def rows(m: dict, prefix: str = "") -> dict[str, str]:
    """One set's measures as text, by their names (a table's rows: pages/ui/scores.py)."""
    at = f" at cos ≥ {m['threshold']:.2f}" if abs(m["threshold"]) <= 1 else ""
    return {f"{prefix}AUC": shown(m["auc"], ".3f"), f"{prefix}TAR at FAR = 1%": shown(m["tar_at_far"], ".1%"),
            f"{prefix}best verification accuracy": shown(m["accuracy"], ".1%") + at,
            f"{prefix}criterion: max intra < min inter": criterion(m["criterion_met"], m["max_intra_pair"],
                                                                   m["min_inter_pair"]),
            f"{prefix}robust: 95th pct < 5th pct": criterion(m["robust_criterion_met"], m["intra_p95"], m["inter_p5"]),
            f"{prefix}pairs (same / different)": f"{m['pairs_same']:,} / {m['pairs_different']:,}"}
