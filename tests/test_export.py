"""Export: a real PNG of the requested size, a self-contained HTML, a replay over the snapshots."""
import json
import math
import re
import struct

import numpy as np
import pytest

from sphereface_viz.export import moment_figure, replay_html, snapshot_figure, write_figures, write_png
from sphereface_viz.runio import run_from_trainer
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.trainer import Trainer


@pytest.fixture(scope="module", params=[2, 3])
def trained(request):
    tr = Trainer(TrainConfig(loss="a_softmax", dim=request.param, width=4, epochs=2, threads=1, eval_size=200,
                             snapshot_every=4))
    tr.run()
    return tr, run_from_trainer(tr)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_export_is_a_real_image_of_the_requested_size(trained, tmp_path):
    tr, run = trained
    write_png(snapshot_figure(tr.loss, run, len(run.steps) - 1, tr.seen), tmp_path / "f.png", width=640, height=480)
    data = (tmp_path / "f.png").read_bytes()
    assert png_size(data) == (640, 480) and len(data) > 20_000  # a blank canvas compresses to a few kB


def test_html_and_replay_are_self_contained(trained, tmp_path):
    tr, run = trained
    paths = write_figures(tr, run, tmp_path, png=False)
    assert [p.name for p in paths] == ["figure.html", "replay.html"]
    for path in paths:
        text = path.read_text()
        assert not re.search(r"<script[^>]+src=", text)  # plotly.js inlined: opens offline
        assert "Plotly" in text
    replay = (tmp_path / "replay.html").read_text()
    steps = json.loads(re.search(r"const steps = (\[[^\]]*\]);", replay).group(1))
    assert steps == sorted(steps) and len(steps) == min(40, len(run.steps)) and steps[-1] == run.steps[-1]


def test_snapshot_figure_does_not_touch_the_live_loss(trained):
    tr, run = trained
    before = tr.loss.weight.detach().clone()
    snapshot_figure(tr.loss, run, 0, tr.seen)
    assert (tr.loss.weight == before).all()


def test_replay_frames_keep_one_radius(trained):
    tr, run = trained
    html = replay_html(tr.loss, run, tr.seen)
    key = "xaxis" if run.features.shape[2] == 2 else "scene"
    ranges = set(re.findall(r'"%s":\{[^}]*"range":\[([^\]]+)\]' % key, html))
    assert len(ranges) == 1


def test_moment_figure_draws_the_snapshot_with_the_loss_it_is_given(trained):
    tr, _ = trained
    snap = tr.snapshots[-1]
    loss = tr.loss.with_params(m=2.0)  # e.g. the copy the live page takes with the snapshot, since changed live
    figure = moment_figure(tr, snap, loss, wrap=True)
    assert f"step {snap.step:,}" in figure["layout"]["title"]["text"] and "m = 2" in figure["layout"]["title"]["text"]
    points = [t for t in figure["data"] if t.get("mode") == "markers" and t.get("legendgroup", "W") != "W"]
    # directions: the 3-D view draws the features projected on the unit sphere
    drawn = sorted(math.atan2(y, x) for t in points for x, y in zip(t["x"], t["y"]))
    assert drawn == pytest.approx(sorted(np.arctan2(snap.features[:, 1], snap.features[:, 0]).tolist()), abs=1e-5)
