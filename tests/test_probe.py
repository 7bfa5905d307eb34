"""Where does a drawn digit land (sphereface_viz/probe.py, pages/probe.py, pages/ui/sketch.*): a drawing prepared as
each dataset's images were made, against hand-made truths and real MNIST; the probe's angles and logits against
the loss's own; the page under AppTest after the Train page; the pad and the page in Chromium."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from pages.ui.sketch import THICK_PEN
from sphereface_viz import probe as P
from sphereface_viz.data import load_digits, read_idx
from sphereface_viz.geometry import GAP, decision_regions
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"
SHOTS = ROOT / "artifacts" / "screenshots"
SEVEN = [(0.26, 0.2), (0.74, 0.2), (0.6, 0.45), (0.44, 0.82)]  # a 7 as one stroke, in fractions of the pad


def drawn(points=SEVEN, size: int = 56, pen: float = 0.08) -> np.ndarray:
    """A stroke through these points as the pad draws it: ink 1 within pen/2 of the polyline."""
    ys, xs = (np.indices((size, size)) + 0.5) / size
    ink = np.zeros((size, size), bool)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        t = np.clip(((xs - x0) * (x1 - x0) + (ys - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2), 0, 1)
        ink |= np.hypot(xs - x0 - t * (x1 - x0), ys - y0 - t * (y1 - y0)) <= pen / 2
    return ink.astype(np.float64)


def box_of(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero((image > 0).any(1)), np.flatnonzero((image > 0).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


@pytest.fixture(scope="module")
def mnist_trainer():
    trainer = Trainer(TrainConfig(dataset="mnist", data_dir=str(MNIST), download=False, width=4, threads=1,
                                  eval_size=100, snapshot_every=10**9))
    trainer.step(10)
    return trainer


# --- preparing a drawing ----------------------------------------------------------------------------------

def test_area_averaging_shrinks_and_enlarges_keeping_the_mean():
    assert np.allclose(P.area_matrix(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    assert np.allclose(P.area_matrix(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    assert np.allclose(P.area_matrix(2, 4), [[1, 0], [1, 0], [0, 1], [0, 1]])  # enlarging repeats
    image = np.random.default_rng(0).random((30, 17))
    assert np.isclose(P.resample(image, 20, 9).mean(), image.mean())


def test_a_square_blob_fills_the_20x20_box_and_its_centre_of_mass_sits_at_the_centre():
    drawing = np.zeros((56, 56))
    drawing[3:13, 40:50] = 1.0  # a square in the top right corner
    image = P.raw(drawing, "mnist")
    assert image.shape == (28, 28) and box_of(image) == (20, 20)
    assert np.allclose(image[image > 0], 1.0) and image.sum() == pytest.approx(400)
    cy, cx = P.centre_of_mass(image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_mnist_keeps_the_aspect_and_centres_by_mass_not_by_box():
    drawing = np.zeros((56, 56))
    drawing[10:40, 5:20] = 1.0  # 30 high, 15 wide: 20 × 10 once fitted
    image = P.raw(drawing, "mnist")
    assert box_of(image) == (20, 10) and np.allclose(image[image > 0], 1.0)
    drawing[:] = 0.0
    drawing[10:40, 5:15], drawing[10:18, 15:35] = 1.0, 1.0  # a Γ: its mass up and left of its box's middle
    image = P.raw(drawing, "mnist")
    assert box_of(image) == (20, 20) and 0.0 <= image.min() and image.max() <= 1.0
    cy, cx = P.centre_of_mass(image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    rows, cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
    assert (rows[0] + rows[-1]) / 2 - cy > 2 and (cols[0] + cols[-1]) / 2 - cx > 2  # the box itself is off centre


def test_a_digits_drawing_becomes_8x8_counts_of_ink_up_to_16():
    drawing = np.zeros((56, 56))
    drawing[4:52, 10:46] = 1.0  # 48 high, 36 wide: 32 × 24 pixels of the 32×32 bitmap, 6 × 8 full blocks
    truth = np.zeros((8, 8))
    truth[:, 1:7] = 16
    assert np.allclose(P.raw(drawing, "digits"), truth)
    image = P.raw(drawn(pen=THICK_PEN), "digits")
    assert image.shape == (8, 8) and image.max() == pytest.approx(16) and image.min() == 0
    assert image.any(1).all() and not image[:, [0, 7]].any()  # the height filled, at most 24 of 32 pixels wide
    data = load_digits()
    mean, std = P.standardisation(data)
    standardised = torch.from_numpy((image / 16 - mean) / std).float()
    assert torch.allclose(P.prepare(drawn(pen=THICK_PEN), data)[0, 0], standardised)
    with pytest.raises(P.EmptyDrawing):
        P.prepare(np.zeros((28, 28)), data)


def test_the_standardisation_is_the_one_data_py_used():
    with np.load(ROOT / "sphereface_viz" / "digits.npz") as shipped:
        train = torch.from_numpy(shipped["images"][shipped["train"]].astype(np.float32) / 16)
    assert P.standardisation(load_digits()) == pytest.approx((train.mean().item(), train.std().item()), rel=1e-5)


def test_a_real_mnist_test_image_prepared_again_lands_where_the_trainer_puts_it(mnist_trainer):
    data = mnist_trainer.data
    mean, std = P.standardisation(data)
    raw_train = torch.from_numpy(read_idx(MNIST / "train-images-idx3-ubyte.gz", 3).astype(np.float32) / 255)
    assert (mean, std) == pytest.approx((raw_train.mean().item(), raw_train.std().item()), rel=1e-5)
    same, checked = 0, 0
    for i in range(60):
        original = data.x_test[i:i + 1]
        drawing = (original[0, 0] * std + mean).numpy()  # un-standardised: MNIST's 0..1
        if max(box_of(drawing > P.INK)) != 20:  # a few digits' ink is not quite 20 pixels long
            continue
        checked += 1
        prepared = P.prepare(drawing, data)
        same += torch.allclose(prepared, original, atol=1e-4)
        a, b = (mnist_trainer.features(x)[0] for x in (prepared, original))
        angle = math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b / (a.norm() * b.norm()))))))
        assert angle < 5 and abs(a.norm() / b.norm() - 1) < 0.1, (i, angle)
    assert checked >= 50 and same >= 0.9 * checked


DRAWN_DIGITS = {  # strokes of a few digits, in fractions of the pad
    0: [(0.5 + 0.25 * math.cos(t), 0.5 + 0.35 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 40)],
    2: [(0.3, 0.3), (0.45, 0.18), (0.62, 0.2), (0.68, 0.35), (0.3, 0.8), (0.72, 0.8)],
    3: [(0.3, 0.2), (0.65, 0.2), (0.45, 0.48), (0.68, 0.62), (0.55, 0.8), (0.3, 0.78)],
    4: [(0.6, 0.85), (0.6, 0.15), (0.25, 0.6), (0.75, 0.6)],
    6: [(0.6, 0.15), (0.35, 0.55), (0.4, 0.8), (0.6, 0.8), (0.62, 0.6), (0.38, 0.58)],
    7: SEVEN,
    9: [(0.62, 0.35), (0.5, 0.2), (0.36, 0.3), (0.42, 0.45), (0.62, 0.35), (0.6, 0.85)],
}


@pytest.mark.slow
def test_a_trained_digits_network_reads_drawn_digits_and_its_own_test_images_drawn_back():
    """The recipe end to end: the Train page's default run (A-Softmax, 2-D, digits) trained to the end of its
    schedule reads most hand-drawn digits right, and the test images, enlarged 7× and prepared again, nearly as
    well as it reads them as shipped."""
    trainer = Trainer(TrainConfig(dataset="digits", threads=1, eval_size=50, snapshot_every=10**9))
    trainer.run(eval_every=None)
    data = trainer.data
    mean, std = P.standardisation(data)
    shipped = trainer.loss.logits(trainer.features(data.x_test)).argmax(1) == data.y_test
    drawn_back = torch.cat([P.prepare(np.kron(np.clip(image * std + mean, 0, 1), np.ones((7, 7))), data)
                            for image in data.x_test[:, 0].numpy()])
    again = trainer.loss.logits(trainer.features(drawn_back)).argmax(1) == data.y_test
    assert again.float().mean() >= 0.9 and again.float().mean() >= shipped.float().mean() - 0.05
    read = [P.probe(trainer, P.prepare(drawn(points, pen=THICK_PEN), data))["predicted_class"] == digit
            for digit, points in DRAWN_DIGITS.items()]
    assert sum(read) >= len(read) - 2, read


# --- the probe ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["a_softmax", "cosface", "arcface", "sv_softmax", "softmax"])
def test_the_probe_reads_the_losss_own_logits_and_the_angles_to_w(loss):
    import threading

    trainer = Trainer(TrainConfig(dataset="digits", loss=loss, dim=3 if loss == "arcface" else 2, threads=1,
                                  eval_size=50, snapshot_every=10**9, width=4))
    trainer.step(3)
    before = {k: v.clone() for k, v in trainer.state()["model"].items()}
    iteration, training = getattr(trainer.loss, "iteration", None), trainer.model.training
    image = P.prepare(drawn(), trainer.data)
    result = P.probe(trainer, image, lock=threading.RLock())
    # training untouched: weights, batch-norm statistics, λ's counter, the mode
    assert all(torch.equal(before[k], v) for k, v in trainer.state()["model"].items())
    assert getattr(trainer.loss, "iteration", None) == iteration and trainer.model.training == training

    x = trainer.features(image)  # the trainer's own embedding
    assert np.allclose(result["feature"], x[0].numpy(), atol=1e-5)
    k = trainer.loss.num_classes
    with torch.no_grad():
        assert np.allclose(result["logits"], trainer.loss.logits(x)[0].numpy(), atol=1e-5)
        for j in range(k):
            own = trainer.loss.margin_logits(x, torch.tensor([j]))[0, j].item()
            assert result["margin_logits"][j] == pytest.approx(own, abs=1e-5)
    w, v = trainer.loss.weight.detach().double().numpy(), x[0].double().numpy()
    angles = np.degrees(np.arccos(np.clip(w @ v / (np.linalg.norm(w, axis=1) * np.linalg.norm(v)), -1, 1)))
    assert np.allclose(result["angles"], angles, atol=1e-3)
    assert result["predicted"] == int(np.argmax(result["logits"])) and result["predicted_class"] == result["predicted"]
    assert sum(result["probabilities"]) == pytest.approx(1.0)
    owner = int(decision_regions(trainer.loss, x)[0])  # the region the picture paints where x is
    assert owner == (result["predicted"] if result["wins"][result["predicted"]] else GAP)
    assert result["title"] == trainer.loss.title and result["step"] == 3
    assert result["hparams"].items() >= trainer.loss.hparams().items()


# --- the page -------------------------------------------------------------------------------------------

def component_args(at: AppTest, name: str) -> dict:
    instances = (json.loads(e.proto.json_args) for e in at.get("component_instance"))
    return next(a for a in instances if a.get("key") == name)


def test_the_page_after_train_shows_the_table_once_there_is_a_drawing():
    at = AppTest.from_file(str(ROOT / "router.py"), default_timeout=120)
    at.run()
    trainer = at.session_state["trainer"]
    at.switch_page("pages/probe.py").run()
    assert not at.exception, at.exception
    assert not at.dataframe and any("Draw one digit" in i.value for i in at.info)
    at.session_state["probe_drawing"] = drawn().tolist()
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["trainer"] is trainer and trainer.step_count == 0  # Train's own network, untouched
    table = at.dataframe[0].value
    result = at.session_state["probe_result"]
    assert len(table) == 10 and list(table.index) == [str(c) for c in range(10)]
    assert np.allclose(table["θ_j"], result["angles"]) and np.allclose(table["with margin"], result["margin_logits"])
    assert any(f"The network says **{result['names'][result['predicted']]}**" in m.value for m in at.markdown)
    styles = at.dataframe[0].proto.arrow_data.styler.styles  # the predicted class's row highlighted, no other
    assert f"row{result['predicted']}_col0" in styles and "#fff1a8" in styles and styles.count("_col0") == 1
    header = component_args(at, "probe-view")["header"]
    assert header["arrays"]["marks"][1] == [1, 2]  # the star, drawn in the live view
    # a visit to Train and back: the drawing, the strokes the pad draws back and the toggle are kept
    at.session_state["probe_strokes"] = [[10, 10, 200, 200]]
    at.toggle(key="probe_project").set_value(False).run()
    at.switch_page("pages/train.py").run()
    at.switch_page("pages/probe.py").run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1 and component_args(at, "probe_sketch")["strokes"] == [[10, 10, 200, 200]]
    assert at.toggle(key="probe_project").value is False and component_args(at, "probe-view")["header"]["kind"] == \
        "circle"
    at.session_state["probe_drawing"] = None  # cleared
    at.run()
    assert not at.exception and not at.dataframe


def test_without_a_training_the_page_sends_the_student_to_train():
    at = AppTest.from_file(str(ROOT / "pages" / "probe.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert any("Open Train first" in i.value for i in at.info) and not at.dataframe


# --- in Chromium ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from devtools.appdriver import chromium

    with chromium() as b:
        yield b


def stroke(page, box: dict, points=SEVEN) -> None:
    """Draw one stroke with the mouse across the pad whose bounding box this is."""
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
    page.mouse.up()


@pytest.mark.browser
def test_the_pad_sends_area_averages_of_its_strokes_and_clear_sends_none(browser):
    from pages.ui.sketch import PEN, write_files

    page = browser.new_page(viewport={"width": 400, "height": 400})
    page.goto(write_files().as_uri())
    page.evaluate("() => { window.sent = []; window.addEventListener('message', (e) => { if (e.data.type === "
                  "'streamlit:setComponentValue') window.sent.push(e.data.value); }); window.postMessage({type: "
                  f"'streamlit:render', args: {{size: 280, cells: 28, pen: {PEN}, strokes: null}}}}, '*'); }}")
    page.wait_for_function("() => window.sketch.cells === 28")
    stroke(page, page.locator("#pad").bounding_box())
    page.wait_for_function("() => window.sent.length === 1")
    value = page.evaluate("() => window.sent[0]")
    pixels = np.array(page.evaluate("() => Array.from(document.getElementById('pad').getContext('2d')"
                                    ".getImageData(0, 0, 280, 280).data)")).reshape(280, 280, 4)[..., 0] / 255
    image = np.array(value["image"])
    assert image.shape == (28, 28) and len(value["strokes"]) == 1
    assert np.allclose(image, pixels.reshape(28, 10, 28, 10).mean((1, 3)), atol=1e-3)  # area averages
    assert image.max() == 1.0 and 0.05 < image.mean() < 0.3  # a thick stroke, mostly background
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("() => window.sent.length === 2")
    assert page.evaluate("() => window.sent[1]") is None and page.evaluate("() => window.sketch.strokes") == 0
    # a new pad (the page opened again) draws the strokes it is given back
    page.reload()
    page.evaluate("(s) => window.postMessage({type: 'streamlit:render', args: {size: 280, cells: 28, pen: 0.08, "
                  "strokes: s}}, '*')", value["strokes"])
    page.wait_for_function("() => window.sketch.strokes === 1")
    page.close()


@pytest.mark.browser
def test_a_drawn_seven_lands_in_the_live_view_and_moves_while_training(browser):
    from devtools.appdriver import app_server, live_frame
    from playwright.sync_api import expect

    with app_server() as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        page.goto(url, wait_until="domcontentloaded")
        live_frame(page)  # the Train page made its trainer
        page.get_by_role("link", name="Where does your digit land?").click()
        pad = page.frame_locator('iframe[title*="sketch"]').locator("#pad")
        pad.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        stroke(page, pad.bounding_box())
        expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=60_000)
        pad_page = page.frame_locator('iframe[title*="sketch"]').locator("body")
        assert pad_page.evaluate("() => window.sketch.strokes") == 1
        view = page.frame_locator('iframe[title*="feature_view"]').first.locator("body")
        view.evaluate("() => new Promise((done) => { const look = () => window.view.header && "
                      "window.view.header.arrays.marks[1][0] === 1 ? done() : setTimeout(look, 50); look(); })")
        step, star = view.evaluate("() => window.view.step"), view.evaluate("() => Array.from(arrays.marks)")
        page.get_by_role("button", name="Play").click()
        for _ in range(60):  # at most 30 s
            if view.evaluate("() => window.view.step") >= step + 200:
                break
            page.wait_for_timeout(500)
        page.get_by_role("button", name="Pause").click()
        assert view.evaluate("() => window.view.step") >= step + 200  # redrawn live as the network learns
        assert view.evaluate("() => Array.from(arrays.marks)") != star  # the ★ with it
        expect(page.get_by_test_id("stDataFrame")).to_be_visible()
        page.mouse.move(5, 940)  # no tooltip in the picture
        page.wait_for_timeout(2500)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "probe-7.png"))
        page.close()
