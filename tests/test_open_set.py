"""The open set in the app (pages/ui/open_set.py): a holdout through the URL, the run store and Compare; its panel
measuring verification on the held-out digits; a holdout that leaves fewer than two digits refused."""
import subprocess
import sys

import numpy as np

from sphereface_viz.store import RunStore, pack, run_key
from tests.test_app import ROOT, button, link_of, opened, page


def test_a_holdout_link_trains_without_those_digits_and_the_panel_measures_them():
    at = page("train", {"holdout": "7,8,9", "loss": "cosface"})
    trainer = at.session_state["trainer"]
    assert trainer.config.holdout == (7, 8, 9) and trainer.seen == list(range(7))
    assert link_of(at)["holdout"] == "7,8,9"
    for _ in range(3):
        button(at, "Step").click().run()
    opened(at, "verification_panel")
    measured = at.session_state["verification"]
    labels = trainer.eval_labels.numpy()
    held_out = int(np.isin(labels, [7, 8, 9]).sum())  # counted here, from the images the view draws
    assert measured["unseen"]["classes"] == [7, 8, 9] and measured["unseen"]["points"] == held_out
    assert measured["unseen"]["pairs_same"] == sum(n * (n - 1) // 2 for n in np.bincount(labels)[7:])
    assert measured["seen"]["classes"] == list(range(7))
    table = at.dataframe[0].value
    assert list(table.columns) == ["held-out digits (7, 8, 9)", "trained digits (0, 1, 2, 3, 4, 5, 6)"]
    assert table.loc["AUC"].iloc[0] == f"{measured['unseen']['auc']:.3f}"


def test_without_a_holdout_the_panel_says_how_to_make_one():
    at = opened(page("train"), "verification_panel")
    assert at.session_state["verification"]["unseen"] is None
    assert "Hold out two digits or more" in at.info[0].value
    assert list(at.dataframe[0].value.columns) == ["trained digits (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)"]


def test_a_holdout_leaving_fewer_than_two_digits_is_refused_and_the_default_kept():
    at = page("train", {"holdout": "0,1,2,3,4,5,6,7,8"})
    assert "at least two must stay in training" in at.warning[0].value
    assert at.session_state["trainer"].config.holdout == ()


def test_a_holdout_is_part_of_the_run_the_store_shares(tmp_path):
    held, again, whole = (page("train", link).session_state["trainer"] for link in
                          ({"holdout": "7,8,9"}, {"holdout": "9,8,7"}, {}))
    assert run_key(held) == run_key(again) != run_key(whole)  # the same digits in any order: one run
    store = RunStore(tmp_path, 2**28)
    held.step(2)
    assert store.put(run_key(held), *pack(held, "teacher"))
    entry = store.get(run_key(again))
    assert entry.step == 2 and store.get(run_key(whole)) is None


def test_compare_holds_out_the_same_digits_for_every_loss_and_measures_each():
    at = page("compare", {"losses": "softmax,cosface", "holdout": "8,9"})
    trainers = at.session_state["cmp"]
    assert all(t.config.holdout == (8, 9) for t in trainers.values())
    at.sidebar.toggle(key="cmp_open_set").set_value(True).run()
    table = at.dataframe[0].value
    assert "held-out digits: AUC" in table.index and "held-out digits: TAR at FAR = 1%" in table.index
    assert all(0 <= float(auc) <= 1 for auc in table.loc["held-out digits: AUC"])


def test_scikit_learn_is_imported_only_once_the_panel_opens():
    """A fresh interpreter (this one imported it for other tests): the Train page with a holdout, then its panel."""
    code = ("import sys\n"
            "from streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file('pages/train.py', default_timeout=120)\n"
            "at.query_params['holdout'] = '8,9'\n"
            "at.run(); assert not at.exception\n"
            "print('sklearn' in sys.modules)\n"
            "at.session_state['verification_panel'] = True\n"
            "at.run(); assert not at.exception\n"
            "print('sklearn' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
