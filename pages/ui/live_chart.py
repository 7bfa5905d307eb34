"""A plotly chart that updates in place, so the 3-D camera a student turned survives every redraw.

st.plotly_chart re-mounts the chart when its data changes and resets the camera. This small
component keeps one iframe per key and redraws it with Plotly.react under a fixed uirevision (set
by sphereface_viz.plots). It also carries the 3-D camera over each redraw itself and keeps it in the
tab's sessionStorage, so the view survives a re-mounted iframe and a visit to another page.
In 2-D it draws the figure's scatter traces on a canvas rather than as plotly's SVG, which cost the
browser ~0.1 ms per point and ~2.5 ms per trace per redraw (live_chart.js says how), and it shows the
live numbers beside the chart.
plotly.js is served from the installed plotly package, so the app works offline.
"""
from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import streamlit.components.v1 as components

from sphereface_viz.plots import to_json

INDEX = """<!doctype html><html><head><meta charset="utf-8"><script src="plotly.min.js"></script>
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}#row{display:flex}#chart{flex:3;min-width:0}
#numbers{flex:1;display:none;padding-left:16px;color:#31333F;font-family:"Source Sans Pro","Source Sans 3",sans-serif}
#numbers .label{font-size:14px;margin-top:12px}#numbers .value{font-size:30px;line-height:1.25}
#numbers .help{display:inline-block;width:14px;height:14px;margin-left:6px;border:1px solid #999;border-radius:50%;
font-size:10px;line-height:14px;text-align:center;color:#666;cursor:help}
.projector #chart{flex:2}.projector #numbers{grid-template-columns:1fr 1fr;column-gap:16px;align-content:start}
.projector #numbers .label{font-size:19px;margin-top:6px}.projector #numbers .value{font-size:34px;line-height:1.1}
.projector #numbers .wide{grid-column:span 2}</style></head>
<body><div id="row"><div id="chart"></div><div id="numbers"></div></div><script src="live_chart.js"></script>
</body></html>"""
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


def live_chart(figure: dict | str, key: str, height: int = 640, numbers: list[dict] | None = None,
               projector: bool = False) -> None:
    """Draw (or redraw in place) a plotly.js figure: a dict, or its JSON already made (`plots.to_json`).
    numbers: {label, value, help} shown beside it, a quarter of the width, like st.metric. projector: the
    chart reaches down to the bottom of the window (`height` where the page around it cannot be measured),
    and the numbers, in large type, take two columns over a third of the width, so that all of them fit
    beside it."""
    _component()(figure=figure if isinstance(figure, str) else to_json(figure), height=height, name=key, key=key,
                 numbers=numbers, projector=projector, default=None)
