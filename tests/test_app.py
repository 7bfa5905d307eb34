"""The Streamlit pages, driven by AppTest (no browser): widgets present, a training step advances,
m changes the loss's m without a reset, Reset and a loss change reset, no exception."""
import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from pages.ui.help import OPEN
from sphereface_viz.losses import LOSSES

ROOT = Path(__file__).resolve().parents[1]


def page(name: str, link: dict | None = None) -> AppTest:
    """A page's first run, opened from a link with these settings in its URL query."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    at.query_params.update(link or {})
    at.run()
    assert not at.exception, at.exception
    return at


def live_numbers(at: AppTest) -> list[dict]:
    """The numbers the Train page sends to its live view (pages/ui/feature_view.js shows them beside it)."""
    charts = [json.loads(e.proto.json_args) for e in at.get("component_instance")]
    return next(c["numbers"] for c in charts if c.get("numbers"))


def opened(at: AppTest, *expanders: str) -> AppTest:
    """The page again with these expanders (by key) open: their content runs only then."""
    for key in expanders:
        at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_train_page_widgets_step_live_m_and_reset():
    at = page("train")
    assert {b.label for b in at.button} >= {"Play", "Step", "Reset"}
    assert at.sidebar.selectbox(key="loss").value == "a_softmax"
    trainer = at.session_state["trainer"]
    assert trainer.step_count == 0

    button(at, "Step").click().run()
    button(at, "Step").click().run()
    assert not at.exception and at.session_state["trainer"] is trainer and trainer.step_count == 2

    at.sidebar.slider(key="m").set_value(2.5).run()
    assert not at.exception
    assert at.session_state["trainer"] is trainer          # no reset
    assert trainer.loss.m == 2.5 and trainer.step_count == 2
    button(at, "Step").click().run()
    assert trainer.step_count == 3 and trainer.snapshots[-1].metrics["m"] == 2.5

    button(at, "Reset").click().run()
    assert not at.exception and at.session_state["trainer"] is not trainer
    assert at.session_state["trainer"].step_count == 0 and at.session_state["trainer"].loss.m == 2.5


def test_history_chart_follows_steps_and_a_reset_clears_it():
    at = page("train")
    assert at.session_state["history"] is None  # one point is no curve
    button(at, "Step").click().run()
    first = at.session_state["history"]
    button(at, "Step").click().run()
    assert first is not None and at.session_state["history"] != first  # paused: every step redraws it
    button(at, "Reset").click().run()
    assert at.session_state["history"] is None  # not the old run's curves


def test_test_images_drawn_resets_with_that_many_points():
    at = page("train")
    assert len(at.session_state["trainer"].eval_labels) == 360  # digits has 360 test images, fewer than 1,000
    at.sidebar.select_slider(key="points").set_value(250).run()
    assert not at.exception and len(at.session_state["trainer"].eval_labels) == 250
    assert at.session_state["trainer"].snapshots[-1].features.shape == (250, 2)  # what the chart draws


def test_lambda_schedule_changes_live_and_criterion_is_shown():
    at = page("train")
    trainer = at.session_state["trainer"]
    assert trainer.lam == 1000  # the annealing starts at λ = 1000
    at.sidebar.select_slider(key="lambda_base").set_value(0.0).run()
    at.sidebar.slider(key="lambda_min").set_value(0.0).run()
    assert not at.exception and at.session_state["trainer"] is trainer
    assert trainer.lam == 0  # the pure loss of Eq. 7, live
    numbers = {n["label"]: n["value"] for n in live_numbers(at)}
    assert {"SphereFace criterion", "Robust criterion", "Inter ° (mean / min)", "Fisher score (test / train)"} <= set(numbers)
    # the shown Intra is the mean angle to the class centre of the drawn test features, computed here by hand
    snap = trainer.snapshots[-1]
    unit = snap.features / np.linalg.norm(snap.features, axis=1, keepdims=True)
    labels = trainer.eval_labels.numpy()
    per_class = []
    for c in range(10):
        centre = unit[labels == c].sum(0)
        centre /= np.linalg.norm(centre)
        per_class.append(np.degrees(np.arccos(np.clip(unit[labels == c] @ centre, -1, 1))).mean())
    assert numbers["Intra ° (test / train)"].split(" / ")[0] == f"{np.mean(per_class):.1f}"
    assert numbers["λ (annealing)"] == "0.00" and numbers["Step"] == f"{trainer.step_count:,}"


def test_changing_the_loss_resets_with_its_own_defaults():
    at = page("train")
    first = at.session_state["trainer"]
    at.sidebar.selectbox(key="loss").set_value("arcface").run()
    assert not at.exception
    trainer = at.session_state["trainer"]
    assert trainer is not first and trainer.config.loss == "arcface"
    assert trainer.loss.m == pytest.approx(0.15) and trainer.loss.s == 16
    at.sidebar.slider(key="s").set_value(30.0).run()
    assert trainer.loss.s == 30 and at.session_state["trainer"] is trainer


def test_missing_dataset_offline_shows_a_message_and_keeps_working(tmp_path, monkeypatch):
    monkeypatch.setenv("SPHEREFACE_VIZ_DATA", str(tmp_path / "none"))  # the server's data folder, empty
    at = page("train")
    assert not at.sidebar.text_input  # where data lives is the server's setting, never the page's
    at.sidebar.selectbox(key="dataset").set_value("kmnist").run()
    assert not at.exception
    messages = [e.value for e in at.error if "could not be downloaded" in e.value]
    assert messages and "missing in <data>/kmnist" in messages[0] and str(tmp_path) not in messages[0]
    assert at.session_state["trainer"].config.dataset == "digits"  # the old trainer is kept


def test_geometry_page_measures_the_closed_form_gap():
    at = page("geometry")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Measured margin gap"] == "54.0°"
    assert metrics["Closed form (m − 1)/(m + 1) · θ₁₂"] == "54.0°"
    at.slider[0].set_value(120).run()
    assert {m.label: m.value for m in at.metric}["Measured margin gap"] == "72.0°"


def test_geometry_controls_are_the_losses_declarations():
    """Each margin slider has the range and step its loss declares and starts at the largest margin its sweep tries:
    ArcFace at 0.5 rad, whose gap between two vectors is exactly m, 28.6°."""
    from sphereface_viz.losses import loss_class

    at = page("geometry")
    at.radio[0].set_value("arcface").run()
    declared = loss_class("arcface").m
    slider = at.slider(key="geo_m_arcface")
    assert (slider.min, slider.max, slider.step) == tuple(float(v) for v in declared.widget)
    assert slider.value == declared.grid[-1] == 0.5
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Measured margin gap"] == metrics["Closed form m"] == "28.6°"


def test_compare_page_same_start_and_each_losss_own_margin():
    at = page("compare")
    trainers = at.session_state["cmp"]
    assert list(trainers) == ["softmax", "modified_softmax", "a_softmax", "arcface", "sv_softmax"]
    first = [p.detach() for p in trainers["softmax"].model.parameters()]
    for trainer in trainers.values():  # same seed: identical initial CNN weights
        assert all(torch.equal(a, b) for a, b in zip(first, trainer.model.parameters()))
    table = at.dataframe[0].value  # a column per loss: no measure's name is cut to fit a narrow column
    assert len(at.dataframe) == 1 and list(table.columns) == [LOSSES[n].title for n in trainers]
    assert "robust: 95th pct < 5th pct" in table.index
    assert trainers["arcface"].loss.m == 0.15 and trainers["sv_softmax"].loss.m == 0.1  # each its declared default
    assert {s.key for s in at.sidebar.slider} == {"cmp_m_a_softmax", "cmp_m_arcface", "cmp_m_sv_softmax"}
    at.sidebar.slider(key="cmp_m_a_softmax").set_value(3.0).run()
    at.sidebar.slider(key="cmp_m_arcface").set_value(0.3).run()
    assert not at.exception and at.session_state["cmp"] is trainers
    assert trainers["a_softmax"].loss.m == 3.0
    assert trainers["arcface"].loss.m == 0.3 and trainers["sv_softmax"].loss.m == 0.1
    assert (link_of(at)["m_a_softmax"], link_of(at)["m_arcface"]) == ("3", "0.3") and "m_cosface" not in link_of(at)
    button(at, "Play").click().run()
    player = at.session_state["cmp_player"]
    assert not at.exception and player.wanted and player.trainers == list(trainers.values())
    button(at, "Pause").click().run()
    assert not player.running


def test_sweep_page_same_start_each_value_its_own_margin():
    at = page("sweep")
    trainers = at.session_state["sw"]
    assert at.sidebar.selectbox(key="sw_loss").value == "a_softmax" and list(trainers) == [1.0, 2.0, 3.0, 4.0]
    first = [p.detach() for p in trainers[1.0].model.parameters()]
    for value, trainer in trainers.items():  # same seed, same CNN; only m differs
        assert all(torch.equal(a, b) for a, b in zip(first, trainer.model.parameters()))
        assert trainer.loss.m == value and trainer.config.dim == 3
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 4
    assert at.select_slider(key="sw_pick").options == ["1.0", "2.0", "3.0", "4.0"]
    at.sidebar.selectbox(key="sw_loss").set_value("sv_softmax").run()
    assert not at.exception and list(at.session_state["sw"]) == [1.0, 1.2, 1.4]  # SV-Softmax sweeps t
    at.session_state["sw_values"] = [1.0, 9.0]  # not offered: Streamlit drops it before the page sees it
    at.run()
    assert not at.exception and list(at.session_state["sw"]) == [1.0]
    button(at, "Play").click().run()
    player = at.session_state["sw_player"]
    assert not at.exception and player.wanted and player.until_end
    button(at, "Pause").click().run()
    assert not player.running


def test_router_opens_the_train_page_with_one_torch_thread(monkeypatch):
    import sys

    # torch's thread count is set per thread (the script's, not this one's): record who asks for what
    asked, set_threads = [], torch.set_num_threads

    def recorded(n):
        asked.append((Path(sys._getframe(1).f_code.co_filename).name, n))
        set_threads(n)

    monkeypatch.setattr(torch, "set_num_threads", recorded)
    at = AppTest.from_file(str(ROOT / "router.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert ("router.py", 1) in asked and at.session_state["routed"] is True
    assert {b.label for b in at.button} >= {"Play", "Step", "Reset"}  # the default page, Train
    assert at.session_state["trainer"].step_count == 0 and "cmp" not in at.session_state
    assert any("[data-stale='true']" in m.value for m in at.markdown)  # no grey fade on a live rerun


def test_a_full_server_queues_training_and_says_so():
    from sphereface_viz.slots import SLOTS

    at = page("train")
    others = [f"other-{i}" for i in range(SLOTS.capacity)]
    assert all(SLOTS.acquire(who, 0) for who in others)  # every slot busy with other students
    try:
        button(at, "Play").click().run()
        player = at.session_state["player"]
        assert not at.exception and player.wanted
        time.sleep(0.6)  # the player asked for a slot and got none
        at.run()
        assert at.session_state["trainer"].step_count == 0
        assert any("Waiting for a free training slot: place 1" in i.value for i in at.info)
    finally:
        for who in others:
            SLOTS.release(who)
    time.sleep(0.6)
    at.run()
    assert at.session_state["trainer"].step_count > 0 and not at.info
    button(at, "Pause").click().run()
    assert not player.running and SLOTS.load() == (0, 0)


def test_a_visit_to_other_pages_keeps_the_training_and_its_settings():
    """Through the router: set up Train, train, visit Compare and Geometry, come back."""
    at = AppTest.from_file(str(ROOT / "router.py"), default_timeout=120)
    at.run()
    at.sidebar.selectbox(key="loss").set_value("arcface").run()
    at.sidebar.radio(key="dim").set_value(3).run()
    at.sidebar.slider(key="m").set_value(0.3).run()
    button(at, "Step").click().run()
    trainer = at.session_state["trainer"]
    assert (trainer.config.loss, trainer.config.dim, trainer.loss.m, trainer.step_count) == ("arcface", 3, 0.3, 1)
    at.switch_page("pages/compare.py").run()
    at.sidebar.slider(key="cmp_m_a_softmax").set_value(2.0).run()
    at.switch_page("pages/geometry.py").run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    assert at.session_state["trainer"] is trainer and trainer.step_count == 1 and trainer.loss.m == 0.3
    assert at.sidebar.selectbox(key="loss").value == "arcface" and at.sidebar.slider(key="m").value == 0.3
    at.switch_page("pages/compare.py").run()
    assert not at.exception and at.sidebar.slider(key="cmp_m_a_softmax").value == 2.0


def test_near_the_memory_budget_a_new_training_is_refused_with_a_message(monkeypatch):
    at = page("train")
    first = at.session_state["trainer"]
    monkeypatch.setenv("SPHEREFACE_VIZ_MEMORY_MB", "1")  # the server is past its budget
    at.sidebar.selectbox(key="loss").set_value("arcface").run()
    assert not at.exception
    assert any("memory budget" in e.value for e in at.error)
    assert at.session_state["trainer"] is first  # the running training is kept
    monkeypatch.delenv("SPHEREFACE_VIZ_MEMORY_MB")
    button(at, "Reset").click().run()
    assert at.session_state["trainer"] is not first and not any("memory budget" in e.value for e in at.error)


def test_an_uploaded_run_is_drawn_with_the_live_point_cap():
    from sphereface_viz.runio import run_from_trainer, run_to_bytes
    from sphereface_viz.recipe import TrainConfig
    from sphereface_viz.trainer import Trainer

    tr = Trainer(TrainConfig(dataset="mnist", data_dir=str(ROOT.parent / "shared" / "data" / "mnist"),
                             download=False, width=4, threads=1, eval_size=3000, snapshot_every=10**9))
    tr.step(2)
    at = opened(page("train"), "replay_panel")
    at.file_uploader[0].set_value(("run.npz", run_to_bytes(run_from_trainer(tr)), "application/octet-stream")).run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[-1].proto.spec)

    def length(x) -> int:  # plotly sends numpy arrays as base64 ("bdata") of a dtype
        return len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize if isinstance(x, dict) else len(x)
    drawn = sum(length(t["x"]) for t in figure["data"] if t.get("mode") == "markers"
                and t.get("name") in tr.data.class_names)
    assert drawn == 2000  # of the run's 3,000 points, as many as the live view draws at most


def link_of(at: AppTest) -> dict:
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def test_a_link_opens_the_train_page_it_describes_and_the_url_follows_the_controls():
    at = page("train", {"loss": "cosface", "dim": "3", "m": "0.35", "s": "32", "lr": "0.05", "seed": "7",
                        "batch_size": "128", "width": "8", "points": "500", "project": "true", "drawn": "training"})
    config = at.session_state["trainer"].config
    assert (config.loss, config.dim, config.seed, config.batch_size, config.width, config.eval_size) == \
        ("cosface", 3, 7, 128, 8, 500)
    assert config.hparams == {"s": 32.0, "m": 0.35} and config.lr == 0.05
    assert at.session_state["project"] is True and at.session_state["drawn"] == "training"
    assert not at.warning
    written = link_of(at)
    assert written["loss"] == "cosface" and written["m"] == "0.35" and written["seed"] == "7"
    at.sidebar.slider(key="m").set_value(0.2).run()
    assert link_of(at)["m"] == "0.2"  # the address bar follows a live change


def test_a_link_with_bad_values_keeps_their_defaults_and_says_which():
    at = page("train", {"loss": "a_softmax", "m": "banana", "seed": "-3", "width": "1e9", "colour": "red"})
    assert not at.exception
    said = at.warning[0].value
    assert "m = 'banana': not a number" in said and "seed = '-3'" in said and "width = '1e9'" in said
    assert "'colour' is not a setting of this page" in said
    config = at.session_state["trainer"].config
    assert config.hparams["m"] == 4.0 and config.seed == 0 and config.width == 16  # the defaults
    assert link_of(at)["m"] == "4" and "colour" not in link_of(at)


def test_compare_and_sweep_pages_open_from_their_links():
    at = page("compare", {"losses": "softmax,cosface", "dim": "3", "m_cosface": "0.3"})
    assert list(at.session_state["cmp"]) == ["softmax", "cosface"]
    assert at.session_state["cmp"]["softmax"].config.dim == 3 and at.session_state["cmp"]["cosface"].loss.m == 0.3
    assert link_of(at)["losses"] == "softmax,cosface" and link_of(at)["m_cosface"] == "0.3" and not at.warning
    at = page("sweep", {"loss": "cosface", "values": "0,0.35", "dim": "2", "seed": "2"})
    trainers = at.session_state["sw"]
    assert sorted(trainers) == [0.0, 0.35] and {t.config.dim for t in trainers.values()} == {2}
    assert [t.config.hparams["m"] for t in trainers.values()] == sorted(trainers)
    assert link_of(at) == {"loss": "cosface", "values": "0,0.35", "dim": "2", "seed": "2", "view": "globe"}


@pytest.mark.parametrize("name, link", [("train", {"dim": "3"}), ("compare", {"losses": "arcface,cosface", "dim": "3"}),
                                        ("sweep", {"loss": "arcface", "values": "0.1,0.5", "dim": "3"})])
def test_a_link_with_view_map_draws_every_sphere_of_the_page_as_a_map(name, link):
    def projections(at: AppTest) -> set:
        return {json.loads(e.proto.json_args)["projection"] for e in at.get("component_instance")
                if e.proto.component_name.endswith("feature_view")}

    assert projections(page(name, link)) == {"globe"}
    at = page(name, {**link, "view": "map"})
    assert projections(at) == {"map"} and link_of(at)["view"] == "map" and not at.warning


def test_a_curated_link_hides_the_settings_and_keeps_the_flag():
    at = page("train", {"loss": "arcface", "controls": "hidden"})
    assert any("stSidebar" in m.value and "display:none" in m.value for m in at.markdown)
    assert link_of(at)["controls"] == "hidden" and at.session_state["trainer"].config.loss == "arcface"


def test_the_replay_animation_is_prepared_on_the_train_page():
    at = page("train")
    for _ in range(3):
        button(at, "Step").click().run()
    opened(at, "replay_panel")
    button(at, "Prepare animation (GIF and MP4)").click().run()
    assert not at.exception and not at.warning
    labels = [e.proto.label for e in at.get("download_button")]
    assert "Replay (GIF)" in labels and "Replay (MP4)" in labels


@pytest.mark.parametrize("name", ["train", "compare", "sweep", "geometry"])
def test_every_page_explains_its_picture_with_the_readmes_figure(name):
    at = opened(page(name), OPEN)
    help_box = next(e for e in at.expander if e.label == "What am I looking at?")
    text = " ".join(m.value for m in help_box.markdown)
    readme = (ROOT / "README.md").read_text()
    assert "**The grey gaps.**" in text and "**The grey gaps.**" in readme  # the README's own words
    assert "](docs/" not in text  # its links, which would point nowhere in the app, as plain text
    assert [c for c in help_box.children.values() if c.type == "image"], "the labelled figure"


def test_a_projector_link_opens_the_projector_view_and_the_toggle_leaves_it():
    def live_chart_args(at: AppTest) -> dict:
        return next(a for a in (json.loads(e.proto.json_args) for e in at.get("component_instance"))
                    if a.get("numbers"))

    def chrome(at: AppTest) -> bool:
        return any("stMainBlockContainer" in m.value for m in at.markdown)

    normal = live_chart_args(page("train"))
    at = page("train", {"projector": "true"})
    assert at.session_state["projector"] is True and at.sidebar.toggle(key="projector").value
    projected = live_chart_args(at)
    assert projected["projector"] is True and not normal["projector"] and chrome(at)
    assert link_of(at)["projector"] == "true"
    at.sidebar.toggle(key="projector").set_value(False).run()
    assert not at.exception and not live_chart_args(at)["projector"] and not chrome(at)
    assert link_of(at)["projector"] == "false"


def test_folded_panels_cost_a_run_nothing_until_opened():
    """Thirty students pressing Play wait for thirty runs of the page: the replay's figure, the uploader and the
    help's image are drawn only while their panel is open."""
    at = page("train")
    button(at, "Step").click().run()
    assert not at.get("plotly_chart") and not at.file_uploader and not at.get("image")
    opened(at, "replay_panel", OPEN)
    assert at.get("plotly_chart") and at.file_uploader and at.get("image")


def test_the_margin_beyond_what_ten_classes_allow_is_said_beside_the_slider():
    """CosFace on a circle of ten: m < 1 − cos 36° = 0.191 (docs/math.md); the sphere allows 1 − cos 66.1° = 0.596."""
    at = page("train", {"loss": "cosface", "m": "0.35"})
    assert any("0.191" in w.value and "beyond" in w.value for w in at.sidebar.warning)
    at = page("train", {"loss": "cosface", "m": "0.35", "dim": "3"})
    assert not at.sidebar.warning and any("0.596" in c.value and "within" in c.value for c in at.sidebar.caption)
    spread = next(n for n in live_numbers(at) if n["label"] == "W spread ° (now / best)")["value"]
    assert spread.endswith("/ 66")
    assert next(n for n in live_numbers(page("train")) if n["label"] == "W spread ° (now / best)")["value"] == "36 / 36"


def test_the_confusion_panel_counts_every_test_image_and_agrees_with_the_test_accuracy():
    at = page("train")
    for _ in range(3):
        button(at, "Step").click().run()
    assert not [e for e in at.get("component_instance") if json.loads(e.proto.json_args).get("name") == "confusion"]
    at = opened(at, "confusion_panel")
    chart = next(json.loads(json.loads(e.proto.json_args)["figure"]) for e in at.get("component_instance")
                 if json.loads(e.proto.json_args).get("name") == "confusion")
    counts = np.array(chart["data"][0]["text"])
    trainer = at.session_state["trainer"]
    assert counts.shape == (10, 10) and counts.sum() == len(trainer.eval_labels)
    assert counts.sum(axis=1).tolist() == np.bincount(trainer.eval_labels.numpy(), minlength=10).tolist()
    shown = next(n for n in live_numbers(at) if n["label"] == "Test accuracy")["value"]
    assert f"{np.trace(counts) / counts.sum():.1%}" == shown



def test_the_help_says_when_its_figure_is_of_another_loss():
    def caption(link: dict) -> str:
        box = next(e for e in opened(page("train", link), OPEN).expander if e.label == "What am I looking at?")
        return " ".join(c.value for c in box.caption)

    assert "without the dashed curve" in caption({"loss": "arcface"})
    assert caption({"loss": "a_softmax"}) == ""


@pytest.mark.parametrize("sent", [5, "x" * 10, [1, 2], {"keys": "]]]"}, {"keys": [[1, "]"], ["2", "["], [3, "rm -rf"]]},
                                  {"sprites": 7, "id": "?"}, {"keys": [[True, "r"]] * 1000}])
def test_whatever_a_browser_sends_as_the_live_views_value_is_bounded_and_the_page_goes_on(sent):
    at = page("train")
    at.session_state["live_view"] = sent
    at.run()
    assert not at.exception and at.session_state["trainer"].step_count == 0
