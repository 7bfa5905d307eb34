"""pages/ui/live_chart.js in Chromium, without a server: 2-D traces land on the canvas at the pixels the axes put
them (computed here by hand) and in figure order, legend clicks hide them, hover shows their text, and a figure
with two panels keeps its lines in plotly's SVG."""
import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from devtools.appdriver import chromium

from pages.ui.live_chart import write_files
from sphereface_viz.plots import to_json

pytestmark = pytest.mark.browser

SIZE = 400  # the figure's pixels, margins 0: data (x, y) in [−1, 1]² sits at ((x + 1)·200, (1 − y)·200)
RED, BLUE, INK = "#ff0000", "#0000ff", "#333333"
AXIS = {"range": [-1, 1], "showgrid": False, "zeroline": False, "showticklabels": False}
LAYOUT = {"width": SIZE, "height": SIZE, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "showlegend": True,
          "legend": {"x": 0.02, "y": 0.02, "xanchor": "left", "yanchor": "bottom"}, "xaxis": AXIS, "yaxis": AXIS,
          "plot_bgcolor": "white"}


def figure():
    return {"data": [
        # two green squares in one trace, split by NaN: top-left and top-right corners
        {"type": "scatter", "mode": "none", "fill": "toself", "fillcolor": "rgba(0,255,0,0.5)", "showlegend": False,
         "hoverinfo": "skip", "x": np.array([-1, -.6, -.6, -1, np.nan, .6, 1, 1, .6]),
         "y": np.array([1, 1, .6, .6, np.nan, 1, 1, .6, .6])},
        {"type": "scatter", "mode": "markers", "name": "a", "x": np.array([0.5], np.float32),
         "y": np.array([0.5], np.float32), "customdata": np.array([12.34], np.float32),
         "marker": {"color": RED, "size": 12}, "hovertemplate": "class a<br>angle to W: %{customdata:.1f}°<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": "b (held out)", "x": [-0.5], "y": [-0.5],
         "marker": {"color": BLUE, "size": 12, "symbol": "x"}},
        {"type": "scatter", "mode": "lines", "name": "a line", "x": [-1, 1], "y": [-0.9, -0.9],
         "line": {"color": BLUE, "width": 4}, "hovertemplate": "a line<extra></extra>"},
        # drawn after a: across its point; its head and label follow its legend entry
        {"type": "scatter", "mode": "lines", "name": "W", "legendgroup": "W", "x": [0, 0.8], "y": [0.5, 0.5],
         "line": {"color": INK, "width": 3}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "markers+text", "legendgroup": "W", "showlegend": False, "x": [0.8], "y": [0.5],
         "text": ["W0"], "marker": {"symbol": "arrow", "size": 16, "color": INK, "angle": [90]},
         "hovertemplate": "class vector %{text}<extra></extra>"}],
        "layout": LAYOUT}


def render(page, fig, numbers=None, projector=False) -> None:
    page.evaluate("([f, n, p]) => window.postMessage({type: 'streamlit:render', args: {figure: f, height: 400,"
                  " name: 't', numbers: n, projector: p}}, '*')", [to_json(fig), numbers, projector])


def show(browser, fig, wait: str = "() => window.drawnPoints === 3", numbers=None, projector=False):
    page = browser.new_page(viewport={"width": 900, "height": 500})
    page.goto(write_files().as_uri())
    render(page, fig, numbers, projector)
    page.wait_for_function(wait)
    return page


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def page(browser):
    return show(browser, figure())


def pixel(page, x, y):
    return page.evaluate("([x, y]) => { const r = window.devicePixelRatio || 1;"
                         " return Array.from(canvas.getContext('2d').getImageData(x * r, y * r, 1, 1).data); }", [x, y])


def test_points_are_drawn_on_the_canvas_where_the_axes_put_them(page):
    assert pixel(page, 300, 100 - 4) == [255, 0, 0, 255]  # (0.5, 0.5): a's red disc, above the W line
    assert pixel(page, 300 + 4, 100 + 3)[:3] == [255, 0, 0]  # inside its 6-px radius
    assert pixel(page, 300, 100 + 9)[3] == 0              # outside it: nothing drawn
    assert pixel(page, 100 - 4, 300 - 4)[2] == 255        # (−0.5, −0.5): b's blue cross, on its diagonal
    assert pixel(page, 100, 300 - 5)[3] == 0              # between the arms of the cross
    assert page.evaluate("() => document.querySelectorAll('.scatterlayer .point').length") == 0  # none in SVG


def test_lines_fills_and_arrows_are_drawn_on_the_canvas_in_figure_order(page):
    assert pixel(page, 200, 380) == [0, 0, 255, 255]       # y = −0.9: the 4-px blue line
    assert pixel(page, 200, 380 + 4)[3] == 0
    for x in (40, 360):                                    # both pieces of the NaN-split fill, half-transparent green
        r, g, b, a = pixel(page, x, 40)
        assert (r, g, b) == (0, 255, 0) and a in (127, 128)
    assert pixel(page, 200, 40)[3] == 0                    # between the pieces
    assert pixel(page, 300, 100) == [0x33, 0x33, 0x33, 255]  # the W line, drawn after a, crosses its point
    assert pixel(page, 356, 103) == [0x33, 0x33, 0x33, 255]  # the arrowhead at (0.8, 0.5), pointing right
    assert pixel(page, 356, 112)[3] == 0


def test_plotly_keeps_only_legend_entries_with_no_points(page):
    kept = page.evaluate("() => chart.data.map(t => [t.name, t.x.length, t.x[0]])")
    assert kept == [["a", 1, None], ["b (held out)", 1, None], ["a line", 1, None], ["W", 1, None]]
    assert page.evaluate("() => document.querySelectorAll('.legend .traces').length") == 4


def test_hover_shows_the_trace_text_with_the_point_value(page):
    page.mouse.move(302, 95)
    assert page.evaluate("() => tip.style.display") == "block"
    assert page.evaluate("() => tip.innerText") == "class a\nangle to W: 12.3°"
    page.mouse.move(150, 381)
    assert page.evaluate("() => tip.innerText") == "a line"
    page.mouse.move(360, 100)
    assert page.evaluate("() => tip.innerText") == "class vector W0"
    page.mouse.move(200, 200)
    assert page.evaluate("() => tip.style.display") == "none"


def test_a_legend_click_hides_the_trace_and_its_group(page):
    page.locator(".legend .traces").first.click()
    page.wait_for_function("() => window.drawnPoints === 2")
    assert pixel(page, 300, 100 - 4)[3] == 0
    page.locator(".legend .traces").first.click()
    page.wait_for_function("() => window.drawnPoints === 3")
    assert pixel(page, 300, 100 - 4) == [255, 0, 0, 255]
    page.locator(".legend .traces").filter(has_text="W").click()  # the line and its head (drawn points: a, b)
    page.wait_for_function("() => window.drawnPoints === 2")
    assert pixel(page, 300, 100) == [255, 0, 0, 255] and pixel(page, 356, 103)[3] == 0
    page.locator(".legend .traces").filter(has_text="W").click()
    page.wait_for_function("() => window.drawnPoints === 3")


def test_a_figure_with_two_panels_keeps_its_lines_in_plotly(browser):
    right = {**AXIS, "domain": [0.55, 1]}
    fig = {"data": [{"type": "scatter", "mode": "lines", "x": [0, 1], "y": [0, 1], "name": "loss"},
                    {"type": "scatter", "mode": "lines", "x": [0, 1], "y": [1, 0], "name": "accuracy",
                     "xaxis": "x2", "yaxis": "y2"}],
           "layout": {**LAYOUT, "xaxis": {**AXIS, "domain": [0, 0.45]}, "xaxis2": right, "yaxis2": {**AXIS, "anchor": "x2"}}}
    page = show(browser, fig, "() => window.renders === 1")
    assert page.evaluate("() => document.querySelectorAll('.scatterlayer .js-line').length") == 2
    assert page.evaluate("() => chart.data[1].x.length") == 2


def test_numbers_are_shown_beside_the_chart_and_only_their_text_changes(browser):
    numbers = [{"label": "Step", "value": "1", "help": "epoch 0.01"}, {"label": "Loss", "value": "2.303", "help": None}]
    page = show(browser, figure(), numbers=numbers)
    assert page.locator("#numbers").inner_text() == "Step?\n1\nLoss\n2.303"
    assert page.locator('[data-label="Step"] .help').get_attribute("title") == "epoch 0.01"
    chart, panel = (page.locator(f"#{name}").bounding_box() for name in ("chart", "numbers"))
    assert chart["x"] + chart["width"] <= panel["x"] and panel["width"] / 900 == pytest.approx(0.25, abs=0.03)
    page.evaluate("() => { window.stepRow = document.querySelector('[data-label=\"Step\"]'); }")
    render(page, figure(), [{**numbers[0], "value": "2", "help": "epoch 0.02"}, numbers[1]])
    page.wait_for_function("() => document.querySelector('[data-label=\"Step\"] .value').textContent === '2'")
    assert page.evaluate("() => document.querySelector('[data-label=\"Step\"]') === window.stepRow")  # not rebuilt
    assert page.locator('[data-label="Step"] .help').get_attribute("title") == "epoch 0.02"
    render(page, figure())  # a chart without numbers (the history, Compare) has the whole width
    page.wait_for_function("() => getComputedStyle(document.getElementById('numbers')).display === 'none'")


def test_the_projector_view_sets_the_numbers_large_in_two_columns(browser):
    """Eleven numbers beside a chart one 720-px screen high: twice the type's size in one column would not fit."""
    numbers = [{"label": "Step", "value": "120", "help": None}, {"label": "Loss", "value": "0.522", "help": None},
               {"label": "Intra ° (test / train)", "value": "14.5 / 10.3", "help": None}]

    def measure(projector: bool) -> dict:
        page = show(browser, figure(), numbers=numbers, projector=projector)
        box = {n["label"]: page.locator(f'[data-label="{n["label"]}"]').bounding_box() for n in numbers}
        size = float(page.evaluate("() => getComputedStyle(document.querySelector('.value')).fontSize")[:-2])
        panel = page.locator("#numbers").bounding_box()
        page.close()
        return {"box": box, "size": size, "panel": panel}

    normal, large = measure(False), measure(True)
    assert large["size"] > normal["size"]
    step, loss, intra = (large["box"][n["label"]] for n in numbers)
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
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path))) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        page = browser.new_page(viewport={"width": 900, "height": 500})
        try:
            page.goto(f"http://127.0.0.1:{server.server_port}/page.html")
            frame = page.frame_locator("#f").first
            frame.locator("#chart").wait_for(state="attached")

            def asked(projector: bool) -> int:
                page.evaluate("() => { window.asked = null; }")
                frame.locator("body").evaluate(
                    "(body, [f, p]) => window.postMessage({type: 'streamlit:render', args: {figure: f, height: 400, "
                    "name: 't', projector: p}}, '*')", [to_json(figure()), projector])
                page.wait_for_function("() => window.asked !== null")
                return page.evaluate("() => window.asked")

            assert asked(True) == 500 - 100 - 12
            page.evaluate("() => window.scrollTo(0, 60)")  # the page scrolled: the frame's place in it is the same
            assert asked(True) == 500 - 100 - 12
            assert asked(False) == 400
        finally:
            page.close()
            server.shutdown()
