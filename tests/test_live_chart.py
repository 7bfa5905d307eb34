"""pages/ui/live_chart.js in Chromium, without a server: a line chart redrawn in place (Plotly.react on the same
element, so a zoom or a hidden legend entry survives the next redraw), and a rerun that sends the same figure
again draws nothing."""
import pytest
from devtools.appdriver import chromium

from pages.ui.live_chart import write_files
from sphereface_viz.plots import history_figure, to_json

pytestmark = pytest.mark.browser


def render(page, figure) -> None:
    page.evaluate("(f) => window.postMessage({type: 'streamlit:render', args: {figure: f, height: 200, name: 't'}}, '*')",
                  to_json(figure))


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_a_history_chart_is_redrawn_in_place_and_an_unchanged_one_not_at_all(browser):
    page = browser.new_page(viewport={"width": 900, "height": 300})
    page.goto(write_files().as_uri())
    render(page, history_figure([0, 1], [2.3, 2.1], {"test accuracy": [0.1, 0.2]}, {"Intra": [40, 38]}))
    page.wait_for_function("() => window.renders === 1")
    page.evaluate("() => { window.plotted = document.querySelector('.js-plotly-plot'); }")
    assert page.evaluate("() => document.querySelectorAll('.scatterlayer .js-line').length") == 3  # three panels
    page.locator(".legend .traces").filter(has_text="Intra").click()  # hide one curve, then redraw with a step more
    page.wait_for_function("() => chart._fullData[2].visible === 'legendonly'")
    render(page, history_figure([0, 1, 2], [2.3, 2.1, 1.9], {"test accuracy": [0.1, 0.2, 0.4]}, {"Intra": [40, 38, 35]}))
    page.wait_for_function("() => window.renders === 2")
    assert page.evaluate("() => document.querySelector('.js-plotly-plot') === window.plotted")  # the same element
    assert page.evaluate("() => chart._fullData[2].visible") == "legendonly"  # the uirevision kept the click
    assert page.evaluate("() => chart.data[0].x.length") == 3
    render(page, history_figure([0, 1, 2], [2.3, 2.1, 1.9], {"test accuracy": [0.1, 0.2, 0.4]}, {"Intra": [40, 38, 35]}))
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.renders") == 2
