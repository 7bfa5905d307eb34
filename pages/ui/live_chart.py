"""A plotly chart that updates in place: the live line charts (the Train page's history, the Margin
sweep's Intra and Inter against m). st.plotly_chart re-mounts its chart whenever the data changes, and
each re-mount costs the browser a full plot; this component keeps one iframe per key and redraws it with
Plotly.react, which keeps zoom and hidden legend entries under the figure's uirevision. plotly.js is
served from the installed plotly package, so the app works offline. The features themselves are drawn
by feature_view.py, from plain arrays."""
from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import streamlit.components.v1 as components

from sphereface_viz.plots import to_json

INDEX = """<!doctype html><html><head><meta charset="utf-8"><script src="plotly.min.js"></script>
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}</style></head>
<body><div id="chart"></div><script src="live_chart.js"></script></body></html>"""
SCRIPT = Path(__file__).with_suffix(".js")
FOLDER = Path(tempfile.gettempdir()) / "sphereface-viz-live-chart"


def write_files() -> Path:
    """The component's page, its script and plotly.js, in FOLDER (also loaded on their own by the tests)."""
    import plotly

    FOLDER.mkdir(exist_ok=True)
    (FOLDER / "index.html").write_text(INDEX)
    shutil.copyfile(SCRIPT, FOLDER / "live_chart.js")
    js = FOLDER / "plotly.min.js"
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not js.exists() or js.stat().st_size != source.stat().st_size:
        shutil.copyfile(source, js)
    return FOLDER / "index.html"


@functools.lru_cache(maxsize=1)
def _component():
    write_files()
    return components.declare_component("live_chart", path=str(FOLDER))


def live_chart(figure: dict | str, key: str, height: int = 640) -> None:
    """Draw (or redraw in place) a plotly.js figure: a dict, or its JSON already made (`plots.to_json`)."""
    _component()(figure=figure if isinstance(figure, str) else to_json(figure), height=height, name=key, key=key,
                 default=None)
