"""pages/ui/feature_view.js in Chromium, without a server: the regions it paints are the frame's labels (on the
circle at every ring sample, on the sphere at pixels whose direction is worked out here by hand), hover names a
dot's class and its angles, while playing it fetches frames one at a time at their pace, a turned sphere stays turned, and the numbers and
the projector view are laid out as a room needs them."""
import functools
import math
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch
from devtools.appdriver import chromium

from pages.ui.feature_view import write_files
from sphereface_viz import frames
from sphereface_viz.geometry import GAP
from sphereface_viz.losses import build_loss
from sphereface_viz.plots import GAP_COLOUR, PALETTE, pastel

pytestmark = pytest.mark.browser
CLASSES = [str(c) for c in range(10)]


def render(page, frame, frame_id=1, numbers=None, projector=False, feed=None, height=600, drawn=True):
    header, blob = frame
    page.evaluate("([h, b, id, n, p, feed, height]) => window.postMessage({type: 'streamlit:render', args: {header: h, "
                  "blob: new Uint8Array(b), id, height, name: 't', numbers: n, projector: p, feed}}, '*')",
                  [header, list(blob), frame_id, numbers, projector, feed, height])
    if drawn:
        page.wait_for_function("(id) => window.view.id === id", arg=frame_id)


def show(browser, frame, **options):
    page = browser.new_page(viewport={"width": 900, "height": 640})
    page.goto(write_files().as_uri())
    render(page, frame, **options)
    return page


def known_loss(name: str, dim: int, seed: int = 3, **hparams):
    """A loss whose class vectors are random unit vectors, not the evenly spread start."""
    loss = build_loss(name, dim, 10, **hparams)
    with torch.no_grad():
        loss.weight.copy_(torch.nn.functional.normalize(torch.randn(10, dim, generator=torch.Generator().manual_seed(seed)),
                                                        dim=1))
    return loss


def no_points(dim):
    return np.zeros((0, dim), np.float32), np.zeros(0, np.int64)


def geometry(page) -> dict:
    """The stage's centre and scale, as the page lays them out."""
    return page.evaluate("() => ({w: stage.clientWidth, h: stage.clientHeight})")


def pixels(page, points):
    return page.evaluate("(points) => { const ctx = canvas.getContext('2d');"
                         " return points.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data)); }", points)


def rgb(hex_colour):
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_the_ring_shows_each_samples_owner_in_its_colour(browser):
    loss = known_loss("arcface", 2, m=0.05)
    header, blob = frames.build(loss, *no_points(2), CLASSES, list(range(10)), step=0, project=True)
    owner = frames.labels_of(frames.unpack(header, blob), "owner", header["grid"])
    assert (owner == GAP).any() and len(set(owner.tolist())) > 5
    page = show(browser, (header, blob))
    size = geometry(page)
    cx, cy, half = size["w"] / 2, size["h"] / 2, min(size["w"], size["h"]) / 2
    ring = header["radius"] * 1.15 * half / (header["radius"] * 1.15 * 1.22)  # ring · scale, scale = half / extent
    n, checked, wanted, at = len(owner), [], [], []
    for k in range(0, n, 7):
        if owner[(k - 2) % n] != owner[k] or owner[(k + 2) % n] != owner[k]:
            continue  # within two samples of a boundary ray
        phi = (k + 0.5) * 2 * math.pi / n
        at.append([round(cx + ring * math.cos(phi) - 0.5), round(cy - ring * math.sin(phi) - 0.5)])
        wanted.append(rgb(GAP_COLOUR if owner[k] == GAP else PALETTE[owner[k]]))
        checked.append(k)
    got = pixels(page, at)
    assert len(checked) > 150
    assert all(g[:3] == w and g[3] == 255 for g, w in zip(got, wanted)), \
        [(k, g, w) for k, g, w in zip(checked, got, wanted) if g[:3] != w][:5]


def test_the_sphere_shows_each_cells_owner_where_the_pixels_direction_falls(browser):
    loss = known_loss("cosface", 3, m=0.05)
    header, blob = frames.build(loss, *no_points(3), CLASSES, list(range(10)), step=0)
    owner = frames.labels_of(frames.unpack(header, blob), "owner", header["grid"])
    page = show(browser, (header, blob))
    page.locator('#legend .item[data-key="W"]').click()  # no class vectors over the regions
    page.wait_for_function("() => document.querySelector('#legend .item[data-key=\"W\"]').classList.contains('off')")
    size = geometry(page)
    cx, cy, half = size["w"] / 2, size["h"] / 2, min(size["w"], size["h"]) / 2
    radius = header["radius"] * half / (header["radius"] * 1.5)
    # the default camera (plots.SCENE_EYE): looking at the centre from (0.95, 0.95, 0.6), z up
    back = np.array([0.95, 0.95, 0.6]) / np.linalg.norm([0.95, 0.95, 0.6])
    right = np.cross([0, 0, 1], back)
    right /= np.linalg.norm(right)
    up = np.cross(back, right)
    n_lat, n_lon = header["grid"]
    rng = np.random.default_rng(0)
    at, wanted = [], []
    while len(at) < 300:
        x, y = rng.uniform(cx - radius, cx + radius), rng.uniform(cy - radius, cy + radius)
        X, Y = int(x), int(y)
        u, v = (X + 0.5 - cx) / radius, (cy - Y - 0.5) / radius
        if u * u + v * v > 0.9:
            continue
        d = u * right + v * up + math.sqrt(1 - u * u - v * v) * back
        i = (math.asin(d[2]) + math.pi / 2) / math.pi * n_lat - 0.5
        j = (math.atan2(d[1], d[0]) + math.pi) / (2 * math.pi) * n_lon - 0.5
        around = {owner[min(n_lat - 1, max(0, int(i) + di)), (int(j) + dj) % n_lon] for di in (-1, 0, 1, 2)
                  for dj in (-1, 0, 1, 2)}
        if len(around) != 1:
            continue  # near a boundary: the painted edge and its smoothing
        who = around.pop()
        colour = rgb(GAP_COLOUR) if who == GAP else rgb(pastel(PALETTE[who]))
        wanted.append(colour + [round(0.92 * 255)])  # painted at 92% opacity, so what lies behind shows faintly
        at.append([X, Y])
    got = pixels(page, at)
    off = [(p, g, w) for p, g, w in zip(at, got, wanted) if max(abs(a - b) for a, b in zip(g, w)) > 1]
    assert not off, off[:5]
    assert len({tuple(w) for w in wanted}) > 3  # several regions were checked


def test_hover_names_the_class_and_its_angles_to_the_class_vectors(browser):
    loss = known_loss("cosface", 2)
    w = loss.weight.detach().numpy()
    point = (2.0 * w[3] + 0.6 * w[5]).astype(np.float32)
    header, blob = frames.build(loss, point[None], np.array([3]), CLASSES, list(range(10)), step=0, radius=2.0)
    page = show(browser, (header, blob))
    size = geometry(page)
    scale = min(size["w"], size["h"]) / 2 / (header["radius"] * 1.04 * 1.22)
    box = page.locator("#scene").bounding_box()
    page.mouse.move(float(box["x"] + size["w"] / 2 + point[0] * scale + 1), float(box["y"] + size["h"] / 2 - point[1] * scale))
    page.wait_for_function("() => tip.style.display === 'block'")
    angles = np.degrees(np.arccos(np.clip(w @ point / np.linalg.norm(point), -1, 1)))
    nearest = min((a, k) for k, a in enumerate(angles) if k != 3)
    assert page.locator("#tip").inner_text() == (f"class 3\nangle to W3: {angles[3]:.1f}°\n"
                                                  f"nearest other: W{nearest[1]} at {nearest[0]:.1f}°")
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.wait_for_function("() => tip.style.display === 'none'")


def test_a_legend_click_hides_a_class_and_a_second_shows_it(browser):
    loss = known_loss("arcface", 2)
    labels = np.repeat(np.arange(10), 20)
    features = (3 * loss.weight.detach().numpy()[labels]).astype(np.float32)
    page = show(browser, frames.build(loss, features, labels, CLASSES, list(range(10)), step=0))
    assert page.evaluate("() => window.view.drawnPoints") == 200
    page.locator('#legend .item[data-key="class4"]').click()
    page.wait_for_function("() => window.view.drawnPoints === 180")
    page.locator('#legend .item[data-key="class4"]').click()
    page.wait_for_function("() => window.view.drawnPoints === 200")


def test_while_playing_the_view_fetches_each_frame_once_drawn_at_its_pace_until_told_to_stop(browser):
    """The page asks its feed (pages/ui/feed_route.py, under the app's base path) for one frame at a time: again at
    once after a 204, at the frame's pace after a frame, never after a 409; a frame of the page's arguments no newer
    than the last fetched is not drawn."""
    loss = known_loss("a_softmax", 2)
    frame = frames.build(loss, *no_points(2), CLASSES, list(range(10)), step=0)
    later = frames.build(loss, *no_points(2), CLASSES, list(range(10)), step=9)
    answers = [204, frames.wire(*later, id=5, pace=0.4, numbers=[{"label": "Step", "value": "5"}]),
               frames.wire(*later, id=6, pace=0.4, numbers=[{"label": "Step", "value": "6"}])]
    asked, folder = [], write_files().parent

    def serve(route):
        url = route.request.url
        if "/_live/frame" not in url:  # the view's own files, as Streamlit serves a component
            route.fulfill(path=folder / url.split("?")[0].rsplit("/", 1)[-1])
            return
        asked.append(url)
        answer = answers.pop(0) if answers else 409
        if isinstance(answer, int):
            route.fulfill(status=answer)
        else:
            route.fulfill(status=200, body=answer, headers={"content-type": "application/octet-stream"})

    page = browser.new_page()
    # when the page asked, on its own clock: the route handler here runs later, by however busy this machine is
    page.add_init_script("const f = window.fetch; window.askedAt = [];"
                         "window.fetch = (...a) => { window.askedAt.push(performance.now()); return f(...a); };")
    page.route("http://view.test/**", serve)
    page.goto("http://view.test/app/component/pages.ui.feature_view.feature_view/index.html?streamlitUrl=x")
    render(page, frame, frame_id=1)
    render(page, frame, frame_id=1, feed="t0ken", drawn=False)  # Play: the paused frame comes again, not drawn
    page.wait_for_function("() => window.view.id === 6")
    page.wait_for_timeout(800)
    assert asked == ["http://view.test/app/_live/frame?feed=t0ken"] * 4  # 204, 5, 6, 409
    at = page.evaluate("() => window.askedAt")
    # each at the frame's pace (0.4 s), less the few ms a browser blurs its clock by
    assert len(at) == 4 and at[2] - at[1] >= 390 and at[3] - at[2] >= 390
    assert page.evaluate("() => [window.view.renders, document.querySelector('[data-label=Step] .value').textContent]") \
        == [3, "6"]  # 1, 5 and 6
    render(page, frame, frame_id=4, feed="t0ken", drawn=False)  # the page's slow tick: an older frame, not drawn
    page.wait_for_timeout(300)
    assert page.evaluate("() => [window.view.id, window.view.renders]") == [6, 3] and len(asked) == 5
    render(page, frame, frame_id=7)  # Pause: the page's own frames again
    assert page.evaluate("() => window.view.renders") == 4


def test_a_turned_sphere_stays_turned_through_new_frames_and_a_reload(browser):
    loss = known_loss("arcface", 3)
    page = show(browser, frames.build(loss, *no_points(3), CLASSES, list(range(10)), step=0))
    before = page.evaluate("() => window.view.rotation")
    box = page.locator("#scene").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 - 40, steps=8)
    page.mouse.up()
    page.wait_for_function("(before) => JSON.stringify(window.view.rotation) !== JSON.stringify(before)", arg=before)
    turned = page.evaluate("() => window.view.rotation")
    rows = np.array(turned)
    assert np.allclose(rows @ rows.T, np.eye(3), atol=1e-9)  # still a rotation
    render(page, frames.build(loss, *no_points(3), CLASSES, list(range(10)), step=1), frame_id=2)
    assert np.allclose(page.evaluate("() => window.view.rotation"), turned)
    page.reload()
    render(page, frames.build(loss, *no_points(3), CLASSES, list(range(10)), step=2), frame_id=3)
    assert np.allclose(page.evaluate("() => window.view.rotation"), turned)  # the tab's sessionStorage keeps it


NUMBERS = [{"label": "Step", "value": "1", "help": "epoch 0.01"}, {"label": "Loss", "value": "2.303", "help": None},
           {"label": "Intra ° (test / train)", "value": "14.5 / 10.3", "help": None}]


def test_numbers_are_shown_beside_the_chart_and_only_their_text_changes(browser):
    frame = frames.build(known_loss("cosface", 2), *no_points(2), CLASSES, list(range(10)), step=0)
    page = show(browser, frame, numbers=NUMBERS)
    assert page.locator("#numbers").inner_text() == "Step?\n1\nLoss\n2.303\nIntra ° (test / train)\n14.5 / 10.3"
    assert page.locator('[data-label="Step"] .help').get_attribute("title") == "epoch 0.01"
    chart, panel = (page.locator(f"#{name}").bounding_box() for name in ("left", "numbers"))
    assert chart["x"] + chart["width"] <= panel["x"] and panel["width"] / 900 == pytest.approx(0.25, abs=0.03)
    page.evaluate("() => { window.stepRow = document.querySelector('[data-label=\"Step\"]'); }")
    render(page, frame, frame_id=2, numbers=[{**NUMBERS[0], "value": "2", "help": "epoch 0.02"}, *NUMBERS[1:]])
    assert page.locator('[data-label="Step"] .value').inner_text() == "2"
    assert page.evaluate("() => document.querySelector('[data-label=\"Step\"]') === window.stepRow")  # not rebuilt
    assert page.locator('[data-label="Step"] .help').get_attribute("title") == "epoch 0.02"


def test_the_projector_view_sets_title_and_numbers_large_the_numbers_in_two_columns(browser):
    frame = frames.build(known_loss("cosface", 2), *no_points(2), CLASSES, list(range(10)), step=0)

    def measure(projector: bool) -> dict:
        page = show(browser, frame, numbers=NUMBERS, projector=projector)
        box = {n["label"]: page.locator(f'[data-label="{n["label"]}"]').bounding_box() for n in NUMBERS}
        size = {name: float(page.evaluate(f"() => getComputedStyle(document.querySelector('{css}')).fontSize")[:-2])
                for name, css in (("value", ".value"), ("title", "#title"))}
        panel = page.locator("#numbers").bounding_box()
        page.close()
        return {"box": box, "size": size, "panel": panel}

    normal, large = measure(False), measure(True)
    assert large["size"]["value"] > normal["size"]["value"] and large["size"]["title"] > normal["size"]["title"]
    step, loss, intra = (large["box"][n["label"]] for n in NUMBERS)
    assert step["y"] == loss["y"] and loss["x"] > step["x"] + step["width"]  # side by side
    assert intra["y"] > step["y"] + step["height"] - 1 and intra["width"] > 1.8 * step["width"]  # its own row
    assert large["panel"]["width"] / 900 == pytest.approx(1 / 3, abs=0.03)


def test_in_the_projector_view_the_chart_reaches_the_bottom_of_the_window(browser, tmp_path):
    """Inside a page that puts the chart 100 px down (as Streamlit does, under a notice or the Play button), served
    from one origin like Streamlit's components, the frame asks for the window's height below it, less 12 px."""
    shutil.copytree(write_files().parent, tmp_path, dirs_exist_ok=True)
    (tmp_path / "page.html").write_text(
        '<body style="margin:0"><div style="height:100px"></div><iframe id="f" src="index.html" '
        'style="border:0;width:900px;height:400px;display:block"></iframe><div style="height:2000px"></div>'
        '<script>addEventListener("message", (e) => { if (e.data.type === "streamlit:setFrameHeight") '
        'window.asked = e.data.height; });</script></body>')
    frame = frames.build(known_loss("cosface", 2), *no_points(2), CLASSES, list(range(10)), step=0)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path))) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        page = browser.new_page(viewport={"width": 900, "height": 500})
        try:
            page.goto(f"http://127.0.0.1:{server.server_port}/page.html")
            inner = page.frame_locator("#f").first
            inner.locator("#scene").wait_for(state="attached")

            def asked(projector: bool, frame_id: int) -> int:
                page.evaluate("() => { window.asked = null; }")
                inner.locator("body").evaluate(
                    "(body, [h, b, p, id]) => window.postMessage({type: 'streamlit:render', args: {header: h, "
                    "blob: new Uint8Array(b), id, height: 400, name: 't', projector: p}}, '*')",
                    [frame[0], list(frame[1]), projector, frame_id])
                page.wait_for_function("() => window.asked !== null")
                return page.evaluate("() => window.asked")

            assert asked(True, 1) == 500 - 100 - 12
            page.evaluate("() => window.scrollTo(0, 60)")  # the page scrolled: the frame's place in it is the same,
            page.wait_for_timeout(700)  # so no new height is asked for at the next refit (every 0.5 s)
            assert page.evaluate("() => window.asked") == 500 - 100 - 12
            assert asked(False, 3) == 400
        finally:
            page.close()
            server.shutdown()


def render_args(page, frame, frame_id, **args):
    header, blob = frame
    if "sprite_png" in args:
        args["sprite_png"] = list(args["sprite_png"])  # a Uint8Array on the page, as Streamlit sends bytes
    page.evaluate("([h, b, id, extra]) => { if (extra.sprite_png) extra.sprite_png = new Uint8Array(extra.sprite_png);"
                  " window.postMessage({type: 'streamlit:render', args: Object.assign({header: h, "
                  "blob: new Uint8Array(b), id, height: 600, name: 't'}, extra)}, '*'); }", [header, list(blob), frame_id, args])
    page.wait_for_function("(id) => window.view.id === id", arg=frame_id)


def test_the_map_shows_each_cells_owner_where_hammers_inverse_puts_the_pixel(browser):
    """Hammer's equal-area map, inverted here by hand: x, y → z = √(1 − (x/4)² − (y/2)²), λ = 2 atan(zx / (2(2z² − 1))),
    φ = asin(zy)."""
    loss = known_loss("cosface", 3, m=0.05)
    header, blob = frames.build(loss, *no_points(3), CLASSES, list(range(10)), step=0)
    owner = frames.labels_of(frames.unpack(header, blob), "owner", header["grid"])
    page = browser.new_page(viewport={"width": 900, "height": 640})
    page.goto(write_files().as_uri())
    render_args(page, (header, blob), 1, projection="map")
    page.locator('#legend .item[data-key="W"]').click()  # no class vectors over the regions
    page.wait_for_function("() => document.querySelector('#legend .item[data-key=\"W\"]').classList.contains('off')")
    size = geometry(page)
    width = int(min(size["w"], 2 * size["h"]) * 0.96)
    height, scale = width // 2, width / (4 * math.sqrt(2))
    left, top = round(size["w"] / 2 - width / 2), round(size["h"] / 2 - height / 2)
    n_lat, n_lon = header["grid"]
    rng = np.random.default_rng(1)
    at, wanted = [], []
    while len(at) < 300:
        px, py = int(rng.uniform(0, width)), int(rng.uniform(0, height))
        x, y = (px + 0.5 - width / 2) / scale, (height / 2 - py - 0.5) / scale
        if (x / (2 * math.sqrt(2))) ** 2 + (y / math.sqrt(2)) ** 2 > 0.95:
            continue
        z = math.sqrt(1 - (x / 4) ** 2 - (y / 2) ** 2)
        lon, lat = 2 * math.atan2(z * x, 2 * (2 * z * z - 1)), math.asin(z * y)
        i = (lat + math.pi / 2) / math.pi * n_lat - 0.5
        j = (lon + math.pi) / (2 * math.pi) * n_lon - 0.5
        around = {owner[min(n_lat - 1, max(0, int(i) + di)), (int(j) + dj) % n_lon] for di in (-1, 0, 1, 2)
                  for dj in (-1, 0, 1, 2)}
        if len(around) != 1:
            continue
        who = around.pop()
        wanted.append((rgb(GAP_COLOUR) if who == GAP else rgb(pastel(PALETTE[who]))) + [255])
        at.append([left + px, top + py])
    got = pixels(page, at)
    off = [(p, g, w) for p, g, w in zip(at, got, wanted) if max(abs(a - b) for a, b in zip(g, w)) > 1]
    assert not off, off[:5]
    assert len({tuple(w) for w in wanted}) > 3


@pytest.mark.parametrize("kind, projection, height", [("circle", "globe", 600), ("circle", "globe", 330),
                                                      ("sphere", "globe", 600), ("sphere", "globe", 330),
                                                      ("sphere", "map", 600), ("sphere", "map", 330)])
def test_no_class_vector_label_overlaps_another_or_leaves_the_canvas(browser, kind, projection, height):
    """Ten W labels, crowded: class vectors drawn in two tight bunches."""
    dim = 2 if kind == "circle" else 3
    loss = build_loss("cosface", dim, 10)
    rng = np.random.default_rng(4)
    base = rng.normal(size=(2, dim))
    with torch.no_grad():
        loss.weight.copy_(torch.tensor(np.repeat(base, 5, axis=0) + 0.08 * rng.normal(size=(10, dim)), dtype=torch.float32))
    frame = frames.build(loss, *no_points(dim), CLASSES, list(range(10)), step=0)
    page = browser.new_page(viewport={"width": 520 if height == 330 else 900, "height": height + 40})
    page.goto(write_files().as_uri())
    render_args(page, frame, 1, projection=projection, height=height)
    boxes = page.evaluate("() => window.view.labels")
    size = geometry(page)
    assert sorted(b["text"] for b in boxes) == sorted(f"W{c}" for c in range(10))
    for k, a in enumerate(boxes):
        assert 0 <= a["x"] and a["x"] + a["w"] <= size["w"] and 0 <= a["y"] and a["y"] + a["h"] <= size["h"], a
        for b in boxes[k + 1:]:
            assert not (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"]
                        and b["y"] < a["y"] + a["h"]), (a, b)


def test_hovering_a_test_image_shows_it_and_a_click_pins_it_through_new_frames(browser):
    loss = known_loss("cosface", 2)
    w = loss.weight.detach().numpy()
    features = np.array([2.0 * w[3], 2.0 * w[7]], np.float32)
    images = np.zeros((2, 8, 8), np.float32)
    images[0, 2:6, 3] = 1.0  # a stroke: image 0 is a "1"
    sheet = frames.sprite_sheet(images)
    frame = frames.build(loss, features, np.array([3, 7]), CLASSES, list(range(10)), step=0, radius=2.0, indexed=True)
    page = browser.new_page(viewport={"width": 900, "height": 640})
    page.goto(write_files().as_uri())
    render_args(page, frame, 1, sprite_key=sheet["key"], sprite_png=sheet["png"], sprite_cell=sheet["cell"],
                sprite_cols=sheet["cols"])
    page.wait_for_function("(key) => window.view.sprites === key", arg=sheet["key"])
    size = geometry(page)
    scale = min(size["w"], size["h"]) / 2 / (2.0 * 1.04 * 1.22)
    box = page.locator("#scene").bounding_box()

    def at(point):
        return float(box["x"] + size["w"] / 2 + point[0] * scale), float(box["y"] + size["h"] / 2 - point[1] * scale)

    page.mouse.move(*at(features[0]))
    page.wait_for_function("() => tip.style.display === 'block' && tip.querySelector('canvas')")
    drawn = page.evaluate("() => { const c = tip.querySelector('canvas'), d = c.getContext('2d');"
                          " return [c.width, c.height, Array.from(d.getImageData(0, 0, c.width, c.height).data)]; }")
    width, height, data = drawn
    cell = np.array(data, np.uint8).reshape(height, width, 4)[:, :, 0]
    shown = cell[:: height // 8, :: width // 8] > 128  # the 8x8 image, upscaled without smoothing
    assert np.array_equal(shown, images[0] > 0.5)
    page.mouse.click(*at(features[0]))
    page.wait_for_function("() => window.view.pinned === 0")
    moved = np.array([2.0 * w[5], 2.0 * w[7]], np.float32)  # training moved image 0 next to W5
    render_args(page, frames.build(loss, moved, np.array([3, 7]), CLASSES, list(range(10)), step=1, radius=2.0,
                                   indexed=True), 2)
    x, y = page.evaluate("() => window.view.pinnedAt")
    assert (box["x"] + x, box["y"] + y) == pytest.approx(at(moved[0]), abs=1.0)
