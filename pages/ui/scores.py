"""The one score table of the pages: a run's measures (sphereface_viz.compactness, .verification) as text, under the
same names on Compare, the margin sweep and the open-set panel. A measure that could not be taken (NaN, or none yet)
reads —."""


def shown(value, form: str, unit: str = "") -> str:
    """`value` formatted as `form`, with its unit, or — when there is none."""
    return "—" if value is None or value != value else format(value, form) + unit


def criterion(met: bool, intra, inter) -> str:
    """'yes (41° vs 52°)': a criterion, with the two angles that decide it."""
    return f"{'yes' if met else 'no'} ({shown(intra, '.0f', '°')} vs {shown(inter, '.0f', '°')})"


def compactness(m: dict) -> dict[str, str]:
    """A run's scores now (test images, and `train_intra` of the latest training batches when measured)."""
    return {"test accuracy": shown(m.get("test_accuracy"), ".1%"),
            "Intra (test)": shown(m.get("intra"), ".1f", "°"),
            "Intra (training)": shown(m.get("train_intra"), ".1f", "°"),
            "Inter (mean / min)": f"{shown(m.get('inter'), '.0f', '°')} / {shown(m.get('inter_min'), '.0f', '°')}",
            "Fisher score (AFS)": shown(m.get("afs"), ".4f"),
            "criterion: max intra < min inter": criterion(m.get("criterion_met"), m.get("max_intra_pair"),
                                                          m.get("min_inter_pair")),
            "robust: 95th pct < 5th pct": criterion(m.get("robust_criterion_met"), m.get("intra_p95"),
                                                    m.get("inter_p5"))}
