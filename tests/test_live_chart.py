"""pages/live_chart.js in Chromium, without a server: 2-D points land on the canvas at the pixels the axes put
them (computed here by hand), legend clicks hide them, hover shows their text, and lines stay plotly's."""
import numpy as np
import pytest
from appdriver import chromium

from pages.live_chart import write_files
from sphereface_viz.plots import to_json

SIZE = 400  # the figure's pixels, margins 0: data (x, y) in [−1, 1]² sits at ((x + 1)·200, (1 − y)·200)
RED, BLUE = "#ff0000", "#0000ff"


def figure():
    axis = {"range": [-1, 1], "showgrid": False, "zeroline": False, "showticklabels": False}
    return {"data": [
        {"type": "scatter", "mode": "markers", "name": "a", "x": np.array([0.5], np.float32),
         "y": np.array([0.5], np.float32), "customdata": np.array([12.34], np.float32),
         "marker": {"color": RED, "size": 12}, "hovertemplate": "class a<br>angle to W: %{customdata:.1f}°<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": "b (held out)", "x": [-0.5], "y": [-0.5],
         "marker": {"color": BLUE, "size": 12, "symbol": "x"}},
        {"type": "scatter", "mode": "lines", "name": "a line", "x": [-1, 1], "y": [-0.9, -0.9]}],
        "layout": {"width": SIZE, "height": SIZE, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "showlegend": True,
                   "legend": {"x": 0.02, "y": 0.98, "xanchor": "left", "yanchor": "top"}, "xaxis": axis, "yaxis": axis, "plot_bgcolor": "white"}}


@pytest.fixture(scope="module")
def page():
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 900, "height": 500})
        page.goto(write_files().as_uri())
        page.evaluate("f => window.postMessage({type: 'streamlit:render', args: {figure: f, height: 400, name: 't'}}, '*')",
                      to_json(figure()))
        page.wait_for_function("() => window.drawnPoints === 2")
        yield page


def pixel(page, x, y):
    return page.evaluate("([x, y]) => { const r = window.devicePixelRatio || 1;"
                         " return Array.from(canvas.getContext('2d').getImageData(x * r, y * r, 1, 1).data); }", [x, y])


def test_points_are_drawn_on_the_canvas_where_the_axes_put_them(page):
    assert pixel(page, 300, 100) == [255, 0, 0, 255]      # (0.5, 0.5): a's red disc, centre
    assert pixel(page, 300 + 4, 100)[:3] == [255, 0, 0]   # inside its 6-px radius
    assert pixel(page, 300 + 9, 100)[3] == 0              # outside it: nothing drawn
    assert pixel(page, 100 - 4, 300 - 4)[2] == 255        # (−0.5, −0.5): b's blue cross, on its diagonal
    assert pixel(page, 100, 300 - 5)[3] == 0              # between the arms of the cross
    assert page.evaluate("() => document.querySelectorAll('.scatterlayer .point').length") == 0  # none in SVG


def test_lines_stay_plotly_svg_and_the_legend_lists_every_trace(page):
    assert page.evaluate("() => document.querySelectorAll('.scatterlayer .js-line').length") >= 1
    assert page.evaluate("() => document.querySelectorAll('.legend .traces').length") == 3


def test_hover_shows_the_trace_text_with_the_point_value(page):
    page.mouse.move(302, 101)
    assert page.evaluate("() => tip.style.display") == "block"
    assert page.evaluate("() => tip.innerText") == "class a\nangle to W: 12.3°"
    page.mouse.move(200, 200)
    assert page.evaluate("() => tip.style.display") == "none"


def test_a_legend_click_hides_the_class_points(page):
    page.locator(".legend .traces").first.click()
    page.wait_for_function("() => window.drawnPoints === 1")
    assert pixel(page, 300, 100)[3] == 0
    page.locator(".legend .traces").first.click()
    page.wait_for_function("() => window.drawnPoints === 2")
    assert pixel(page, 300, 100) == [255, 0, 0, 255]
