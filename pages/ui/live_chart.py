"""A plotly chart that updates in place: the live line charts (the Train page's history, the Margin
sweep's Intra and Inter against m). st.plotly_chart re-mounts its chart whenever the data changes, and
each re-mount costs the browser a full plot; this component keeps one iframe per key and redraws it with
Plotly.react, which keeps zoom and hidden legend entries under the figure's uirevision. plotly.js is
served from the installed plotly package, so the app works offline. The features themselves are drawn
by feature_view.py, from plain arrays."""
from __future__ import annotations

from pathlib import Path

import plotly

from pages.ui.component import LocalComponent

from sphereface_viz.plots import to_json

INDEX = """<!doctype html><html><head><meta charset="utf-8"><script src="plotly.min.js"></script>
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}</style></head>
<body><div id="chart"></div><script src="live_chart.js"></script></body></html>"""
COMPONENT = LocalComponent("live_chart", INDEX, Path(__file__).with_suffix(".js"),
                           extras=(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",))
write_files = COMPONENT.files  # the tests load the page on its own


def live_chart(figure: dict | str, key: str, height: int = 640) -> None:
    """Draw (or redraw in place) a plotly.js figure: a dict, or its JSON already made (`plots.to_json`)."""
    COMPONENT(figure=figure if isinstance(figure, str) else to_json(figure), height=height, name=key, key=key,
                 default=None)
