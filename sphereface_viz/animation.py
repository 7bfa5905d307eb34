"""Lecture animations: a run's replay, or a margin sweep, as a GIF and an MP4 that slides can play.

Each frame is one of the project's own figures (export.snapshot_figure), drawn by plotly.js in headless
Chromium pages and captured, so a slide shows exactly what the app shows; the ffmpeg that imageio-ffmpeg
ships encodes them.
"""
from __future__ import annotations

import asyncio
import base64
import io
import math
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from .export import plotly_js, replay_picks, replay_radius, snapshot_figure
from .runio import Run, atomic_write

FRAMES = 40          # frames of a replay
SIZE = (960, 720)    # pixels; both multiples of 16, as H.264 wants
FPS = 8              # replay frames per second; a sweep holds each value for SWEEP_SECONDS
SWEEP_SECONDS = 1.5
# Headless Chromium falls back to software WebGL for the 3-D frames by itself; forcing ANGLE onto
# SwiftShader too makes the 2-D frames twice as slow (bench/animation.py)
FLAGS = ["--no-sandbox"]
TURN = 90.0          # degrees a 3-D replay's camera turns about the vertical axis, start to end


def browser_path() -> str:
    """The Chromium or Chrome that draws the frames: $BROWSER_PATH, else one on PATH."""
    found = os.environ.get("BROWSER_PATH") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome", "chrome"))), None)
    if not found:
        raise OSError("animations need Chromium or Chrome: install one (e.g. apt install chromium) or set BROWSER_PATH")
    return found


def turned(figure: dict, degrees: float) -> dict:
    """A 3-D figure with its camera turned about the vertical axis (2-D figures are returned as they are)."""
    scene = figure["layout"].get("scene")
    if scene is None:
        return figure
    eye = scene.get("camera", {}).get("eye", {"x": 1.25, "y": 1.25, "z": 1.25})
    a = math.radians(degrees)
    x, y = eye["x"] * math.cos(a) - eye["y"] * math.sin(a), eye["x"] * math.sin(a) + eye["y"] * math.cos(a)
    camera = {**scene.get("camera", {}), "eye": {**eye, "x": x, "y": y}}
    return {**figure, "layout": {**figure["layout"], "scene": {**scene, "camera": camera}}}


def replay_figures(loss, run: Run, seen, frames: int = FRAMES, points: int = 1000) -> list[dict]:
    """A run's snapshots as figures, evenly spread over its steps, on one scale; in 3-D the camera turns."""
    picks, radius = replay_picks(run, frames), replay_radius(run)
    return [turned(snapshot_figure(loss, run, int(i), seen, radius, points), TURN * k / max(len(picks) - 1, 1))
            for k, i in enumerate(picks)]


def sweep_figures(results, points: int = 1000) -> list[dict]:
    """A margin sweep, one frame per value: its trained features, titled with the value's numbers."""
    from .sweep import sweep_panels

    panels, captions = sweep_panels(results, points=points)
    return [{**panel, "layout": {**panel["layout"], "margin": {**panel["layout"]["margin"], "t": 90},
                                 "title": {**panel["layout"]["title"],
                                           "text": f"{panel['layout']['title']['text']}<br>{caption}"}}}
            for panel, caption in zip(panels, captions)]


class Busy(RuntimeError):
    """Another animation is being drawn in this process."""


# One animation at a time per process: drawing one keeps both cores of a small server busy for ~20 s,
# and a class pressing the button together would starve every training on it.
_DRAWING = threading.Lock()


async def _draw(texts, width: int, height: int, pages: int) -> list[bytes]:
    """texts: a callable making the figures' JSON, run in a thread while Chromium starts."""
    from playwright.async_api import async_playwright

    made = asyncio.ensure_future(asyncio.to_thread(texts))
    html = (f"<html><body style='margin:0'><div id='fig' style='width:{width}px;height:{height}px'></div>"
            f"<script>{plotly_js()}</script></body></html>")
    shots: dict[int, bytes] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=browser_path(), args=FLAGS)

        async def draw(first: int) -> None:  # one page per core: each has its own renderer process
            context = await browser.new_context(viewport={"width": width, "height": height})
            page = await context.new_page()
            await page.set_content(html)
            # Chromium's own capture with its fast PNG setting: a third quicker than page.screenshot() here
            cdp = await context.new_cdp_session(page)
            figures = await made
            for k in range(first, len(figures), pages):
                # a static plot skips hover layers, but plotly then draws no 3-D scene at all
                await page.evaluate("async (text) => { const f = JSON.parse(text); "
                                    "const flat = !f.data.some(d => /3d|surface|mesh|cone/.test(d.type)); "
                                    "await Plotly.react('fig', f.data, f.layout, {staticPlot: flat}); }",
                                    figures[k])
                shot = await cdp.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})
                shots[k] = base64.b64decode(shot["data"])

        try:
            await asyncio.gather(*(draw(k) for k in range(pages)))
        finally:
            await browser.close()
    return [shots[k] for k in range(len(shots))]


def render(figures, size: tuple[int, int] = SIZE) -> list[np.ndarray]:
    """Figures as RGB images of `size`, drawn by plotly.js in headless Chromium. figures: a list, or a
    callable returning one, which then builds them while Chromium starts."""
    from PIL import Image

    from .plots import to_json

    width, height = size

    def texts() -> list[str]:
        made = figures() if callable(figures) else figures
        return [to_json({**f, "layout": {**f["layout"], "width": width, "height": height}}) for f in made]

    if not _DRAWING.acquire(blocking=False):
        raise Busy("another animation is being drawn on this server: try again in a minute")
    try:
        shots = asyncio.run(_draw(texts, width, height, pages=max(1, min(2, os.cpu_count() or 1))))
    finally:
        _DRAWING.release()
    return [np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")) for shot in shots]


# ffmpeg's own two-pass GIF: a palette made for these frames (Pillow's quantiser turns light greys pink)
GIF_FILTER = "split[a][b];[a]palettegen=stats_mode=full[p];[b][p]paletteuse=dither=none"


def encode(frames: list[np.ndarray], seconds_per_frame: float, kind: str) -> bytes:
    """The frames as a looping GIF or as H.264 MP4 in yuv420p (what PowerPoint, Keynote and browsers
    play), by the ffmpeg that imageio-ffmpeg ships."""
    import imageio_ffmpeg

    height, width = frames[0].shape[:2]
    options = ({"codec": "gif", "pix_fmt_out": "pal8", "output_params": ["-filter_complex", GIF_FILTER, "-loop", "0"]}
               if kind == "gif" else {"codec": "libx264", "pix_fmt_out": "yuv420p", "quality": 7})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"animation.{kind}"
        writer = imageio_ffmpeg.write_frames(str(path), (width, height), fps=1 / seconds_per_frame,
                                             macro_block_size=1, ffmpeg_log_level="error", **options)
        writer.send(None)
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
        writer.close()
        return path.read_bytes()


def encoded(frames: list[np.ndarray], seconds_per_frame: float, hold: float = 0.0) -> dict[str, bytes]:
    """{"gif": ..., "mp4": ...} of the frames; the last stays `hold` seconds longer, so a looping slide
    shows where training ended before it starts again."""
    frames = frames + [frames[-1]] * round(hold / seconds_per_frame)
    return {kind: encode(frames, seconds_per_frame, kind) for kind in ("gif", "mp4")}


def replay(loss, run: Run, seen) -> dict[str, bytes]:
    """A run's replay as a GIF and an MP4: FRAMES snapshots at FPS, the end held two seconds."""
    return encoded(render(lambda: replay_figures(loss, run, seen)), 1 / FPS, hold=2.0)


def sweep(results) -> dict[str, bytes]:
    """A margin sweep as a GIF and an MP4: each value's trained features for SWEEP_SECONDS."""
    return encoded(render(lambda: sweep_figures(results)), SWEEP_SECONDS)


def write_animation(files: dict[str, bytes], out: Path, stem: str) -> list[Path]:
    """OUT/stem.gif and OUT/stem.mp4, each written whole or not at all."""
    written = []
    for kind, data in files.items():
        atomic_write(Path(out) / f"{stem}.{kind}", data)
        written.append(Path(out) / f"{stem}.{kind}")
    return written
