"""A drawing pad: a square canvas a student draws a digit on with the mouse or a finger, white on black like
MNIST, with a Clear button (sketch.js). Its value, sent at the end of each stroke, is the drawing as a
grayscale cells × cells array of 0..1 (each cell the area average of its canvas pixels) with the strokes that
made it, or None once cleared. sphereface_viz.probe prepares it as the dataset's images were made."""
from __future__ import annotations

from pathlib import Path

from pages.ui.component import LocalComponent

INDEX = """<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden;
font-family:"Source Sans Pro","Source Sans 3",Inter,Helvetica,Arial,sans-serif}
#pad{display:block;touch-action:none;cursor:crosshair;border-radius:6px;background:#000}
#clear{margin-top:8px;padding:6px 0;font:inherit;font-size:15px;border:1px solid #ccc;border-radius:8px;
background:#fff;color:#31333F;cursor:pointer}#clear:hover{border-color:#ff4b4b;color:#ff4b4b}</style></head>
<body><canvas id="pad"></canvas><button id="clear" type="button">Clear</button>
<script src="sketch.js"></script></body></html>"""
COMPONENT = LocalComponent("sketch", INDEX, Path(__file__).with_suffix(".js"))
write_files = COMPONENT.files  # the tests load the page on its own
# The pen's width as a fraction of the pad: a digit drawn across most of it gets MNIST's strokes; the 8×8 digits'
# bitmaps were drawn thicker (half of a digit's blocks hold ink; sphereface_viz/probe.py).
PEN, THICK_PEN = 0.08, 0.12


def sketch(key: str, size: int = 280, cells: int = 56, pen: float = PEN, strokes: list | None = None,
           on_change=None) -> dict | None:
    """The pad, size × size CSS pixels (less in a narrower column), its pen pen × size wide. Returns
    {"image": cells × cells rows of 0..1, "strokes": [[x, y, ...], ...]} once something is drawn, None while it
    is empty; on_change is called when a stroke ends or the pad is cleared. strokes: what a new iframe of the pad
    (the page opened again, after Streamlit forgot the widget's value) draws back; keep them from its value."""
    return COMPONENT(size=int(size), cells=int(cells), pen=float(pen), strokes=strokes, key=key, default=None,
                        on_change=on_change)
