"""The pages' one score table (pages/ui/scores.py): the same names and forms on Compare, the sweep and the open-set
panel, and a measure not taken reads — (Compare once printed —, the sweep nan°)."""
import math

from pages.ui.scores import compactness, criterion, shown


def test_a_measure_not_taken_reads_a_dash_and_a_taken_one_its_unit():
    assert shown(math.nan, ".1f", "°") == shown(None, ".1f", "°") == "—"
    assert shown(41.26, ".1f", "°") == "41.3°" and shown(0.9712, ".1%") == "97.1%"
    assert criterion(True, 41.2, 52.7) == "yes (41° vs 53°)" and criterion(False, math.nan, 10) == "no (— vs 10°)"


def test_a_runs_scores_by_the_names_every_page_uses():
    m = {"test_accuracy": 0.981, "intra": 12.34, "train_intra": math.nan, "inter": 61.4, "inter_min": 30.2,
         "afs": 0.01234, "criterion_met": False, "max_intra_pair": 70.0, "min_inter_pair": 20.0,
         "robust_criterion_met": True, "intra_p95": 18.0, "inter_p5": 40.0}
    assert compactness(m) == {
        "test accuracy": "98.1%", "Intra (test)": "12.3°", "Intra (training)": "—", "Inter (mean / min)": "61° / 30°",
        "Fisher score (AFS)": "0.0123", "criterion: max intra < min inter": "no (70° vs 20°)",
        "robust: 95th pct < 5th pct": "yes (18° vs 40°)"}
