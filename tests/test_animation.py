"""Lecture animations: frames drawn by plotly.js in Chromium, encoded by ffmpeg, decoded here by imageio."""
import json
import math
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest

from sphereface_viz.animation import FRAMES, FPS, encode, render, turned

pytestmark = pytest.mark.browser

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def frames_of(path) -> list[np.ndarray]:
    plugin = "pillow" if str(path).endswith(".gif") else "FFMPEG"
    return [np.asarray(f)[..., :3] for f in iio.imiter(path, plugin=plugin)]


def test_gif_and_mp4_hold_every_frame_in_its_colours(tmp_path):
    colours = [(255, 255, 255), (204, 102, 119), (51, 34, 136), (240, 240, 240), (17, 119, 51), (0, 0, 0)]
    frames = [np.full((64, 96, 3), c, np.uint8) for c in colours]
    for kind, tolerance in (("gif", 2), ("mp4", 6)):  # H.264 in yuv420p moves colours a little
        path = tmp_path / f"a.{kind}"
        path.write_bytes(encode(frames, 1 / FPS, kind))
        decoded = frames_of(path)
        assert len(decoded) == len(frames), kind
        for got, want in zip(decoded, colours):
            assert got.shape == (64, 96, 3)
            assert np.abs(got.astype(int) - want).max() <= tolerance, (kind, want, got[0, 0])


def test_a_light_grey_stays_grey_in_a_gif_of_many_colours(tmp_path):
    """Pillow's palette mapping once drew the margin gaps' light grey as pink: a near-white neutral among
    a frame full of pastels must come back neutral."""
    rng = np.random.default_rng(0)
    frame = np.full((120, 160, 3), 240, np.uint8)
    frame[:60] = rng.integers(180, 256, size=(60, 160, 3), dtype=np.uint8)  # many pastels
    path = tmp_path / "grey.gif"
    path.write_bytes(encode([frame, frame], 1 / FPS, "gif"))
    grey = frames_of(path)[0][60:].astype(int)
    assert np.abs(grey - 240).max() <= 2


def test_turning_the_camera_rotates_its_eye_about_the_vertical_axis():
    figure = {"data": [], "layout": {"scene": {"camera": {"eye": {"x": 1.0, "y": 0.5, "z": 0.8}}}}}
    eye = turned(figure, 90)["layout"]["scene"]["camera"]["eye"]
    assert eye["x"] == pytest.approx(-0.5) and eye["y"] == pytest.approx(1.0) and eye["z"] == 0.8
    assert figure["layout"]["scene"]["camera"]["eye"]["x"] == 1.0  # the figure given is left as it was
    flat = {"data": [], "layout": {"xaxis": {}}}
    assert turned(flat, 45) is flat


def test_frames_are_what_plotly_draws():
    """A figure whose plot area is one colour and a red square in a known place: the captured pixels."""
    square = {"type": "scatter", "x": [2, 4, 4, 2, 2], "y": [2, 2, 4, 4, 2], "fill": "toself", "mode": "none",
              "fillcolor": "rgb(255,0,0)"}
    layout = {"xaxis": {"range": [0, 10], "visible": False}, "yaxis": {"range": [0, 10], "visible": False},
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "plot_bgcolor": "rgb(0,0,255)", "showlegend": False}
    moved = {"data": [{**square, "x": [x + 4 for x in square["x"]]}], "layout": layout}
    first, second = render([{"data": [square], "layout": layout}, moved], size=(200, 100))
    assert first.shape == (100, 200, 3)
    # x 2..4 of 0..10 is pixels 40..80; y 2..4 is rows 60..80 from the top
    assert tuple(first[70, 60]) == (255, 0, 0) and tuple(first[20, 60]) == (0, 0, 255)
    assert tuple(second[70, 60]) == (0, 0, 255) and tuple(second[70, 140]) == (255, 0, 0)


def test_3d_frames_are_drawn_with_software_webgl():
    """plotly draws no 3-D scene as a static plot, and a headless browser has no GPU: a red marker in
    the middle of a white scene must still reach the frame."""
    dot = {"type": "scatter3d", "x": [0], "y": [0], "z": [0], "mode": "markers",
           "marker": {"size": 30, "color": "rgb(255,0,0)"}}
    scene = {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "zaxis": {"visible": False}}
    frame, = render(lambda: [{"data": [dot], "layout": {"scene": scene, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}}],
                    size=(160, 160))
    red = (frame[..., 0] > 200) & (frame[..., 1] < 80) & (frame[..., 2] < 80)
    assert red.sum() > 200 and red[70:90, 70:90].any()


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sphereface_viz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def test_train_and_sweep_write_animations_with_a_frame_per_snapshot_and_value(tmp_path):
    result = cli("train", "--loss", "cosface", "--epochs", "2", "--width", "4", "--no-png", "--no-figures",
                 "--animation", "--out", str(tmp_path / "train"))
    assert result.returncode == 0, result.stderr
    hold = round(2.0 * FPS)  # the end held two seconds
    for name in ("replay.gif", "replay.mp4"):
        assert len(frames_of(tmp_path / "train" / name)) == FRAMES + hold, name
    result = cli("sweep", "--loss", "a_softmax", "--values", "1", "4", "--epochs", "1", "--width", "4", "--no-png",
                 "--workers", "1", "--animation", "--out", str(tmp_path / "sweep"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    gif = frames_of(tmp_path / "sweep" / "sweep.gif")
    assert len(gif) == 2 == len(frames_of(tmp_path / "sweep" / "sweep.mp4")) == len(summary["values"])
    assert not np.array_equal(gif[0], gif[1])  # m = 1, then m = 4
    assert math.isfinite(summary["results"][1]["intra"])
