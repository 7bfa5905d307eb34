"""A plotly chart that updates in place, so the 3-D camera a student turned survives every redraw.

st.plotly_chart re-mounts the chart when its data changes and resets the camera. This small
component keeps one iframe per key and redraws it with Plotly.react under a fixed uirevision (set
by sphereface_viz.plots). It also carries the 3-D camera over each redraw itself and keeps it in the
tab's sessionStorage, so the view survives a re-mounted iframe and a visit to another page.
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
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}#chart{width:100%}</style></head>
<body><div id="chart"></div><script>
function send(type, extra) { window.parent.postMessage(Object.assign({isStreamlitMessage: true, type}, extra), "*"); }
const chart = document.getElementById("chart");
let store = null, listening = false;  // store: the sessionStorage key of this chart's camera
// camera(): the 3-D view as the student sees it now, mid-drag included. uirevision alone loses it when a redraw
// lands during a drag or after a resize (plotly.js #6359, #6156), and with the iframe if it is re-mounted.
function scene() { return chart._fullLayout && chart._fullLayout.scene && chart._fullLayout.scene._scene; }
function camera() { const s = scene(); return s ? s.getCamera() : JSON.parse(sessionStorage.getItem(store) || "null"); }
function keep() { const s = scene(); if (s) sessionStorage.setItem(store, JSON.stringify(s.getCamera())); }
window.renders = 0;
window.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  const height = msg.args.height;
  store = "live_chart:" + msg.args.name;
  if (msg.args.figure !== window.lastFigure) {  // a busy server re-sends the last frame: nothing to draw
    window.lastFigure = msg.args.figure;
    const fig = JSON.parse(msg.args.figure);
    const view = fig.layout.scene && camera();
    if (view) fig.layout.scene.camera = view;
    chart.style.height = height + "px";
    Plotly.react(chart, fig.data, fig.layout, {responsive: true, displaylogo: false}).then(() => {
      if (!listening) listening = Boolean(chart.on("plotly_relayout", keep));  // the end of each drag or zoom
    });
    window.renders += 1;
    document.body.dataset.renders = window.renders;  // read by the browser tests
  }
  send("streamlit:setFrameHeight", {height});
});
send("streamlit:componentReady", {apiVersion: 1});
</script></body></html>"""


@functools.lru_cache(maxsize=1)
def _component():
    import plotly

    folder = Path(tempfile.gettempdir()) / "sphereface-viz-live-chart"
    folder.mkdir(exist_ok=True)
    (folder / "index.html").write_text(INDEX)
    js = folder / "plotly.min.js"
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not js.exists() or js.stat().st_size != source.stat().st_size:
        shutil.copyfile(source, js)
    return components.declare_component("live_chart", path=str(folder))


def live_chart(figure: dict | str, key: str, height: int = 640) -> None:
    """Draw (or redraw in place) a plotly.js figure: a dict, or its JSON already made (`plots.to_json`)."""
    _component()(figure=figure if isinstance(figure, str) else to_json(figure), height=height, name=key, key=key,
                 default=None)
