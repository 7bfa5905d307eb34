"""Export a trained run: figure.html (self-contained, opens offline), figure.png (Kaleido driving the
system Chromium) and replay.html (a slider and Play button over the snapshots)."""
from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from .plots import default_radius, feature_figure, figure_title, to_figure, to_json
from .runio import Run, atomic_write

REPLAY_FRAMES = 40
REPLAY_POINTS = 1000


def plotly_js() -> str:
    """plotly.js as shipped inside the installed plotly package: no CDN, works offline."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def run_loss(run: Run):
    """The loss a run trained (its declared hyper-parameters checked) and the classes it saw."""
    from .losses import build_loss
    from .recipe import TrainConfig

    config = TrainConfig.from_dict(run.config)
    seen = [c for c in range(len(run.class_names)) if c not in config.holdout]
    return build_loss(config.loss, run.features.shape[2], len(seen), **config.hparams), seen


def snapshot_figure(loss, run: Run, index: int, seen, radius=None, points: int | None = None,
                    project: bool = False) -> dict:
    """The figure of snapshot `index`: the loss with that snapshot's W (and bias), its features."""
    loss = loss.at(run.weights[index], None if run.biases is None else run.biases[index], run.snapshot_metrics[index])
    features, labels = run.features[index], run.eval_labels
    if points and len(features) > points:
        keep = np.linspace(0, len(features) - 1, points).round().astype(int)
        features, labels = features[keep], labels[keep]
    return feature_figure(loss, features, labels, run.class_names, seen, radius=radius, project=project,
                          title=figure_title(loss, int(run.steps[index])))


def moment_figure(trainer, snap, loss, wrap: bool = False, window=None, step: int | None = None,
                  **options) -> dict:
    """The live figure of a trainer's snapshot, drawn with `loss`: the trainer's, or a copy taken with the
    snapshot (player.Player.moment). window: draw these (features, labels as the loss's classes) instead
    of the snapshot's evaluation images, at `step`. options: feature_figure's project and radius."""
    features, labels = snap.features, trainer.eval_labels.numpy()
    if window is not None:
        features, labels = window[0].numpy(), np.asarray(trainer.seen)[window[1].numpy()]
    return feature_figure(loss, features, labels, trainer.data.class_names, trainer.seen,
                          title=figure_title(loss, snap.step if step is None else step, wrap=wrap), **options)


def replay_radius(run: Run) -> float:
    """One ring radius for every frame, so the replay's axes never jump."""
    return default_radius(run.features.reshape(-1, run.features.shape[-1]), project=False)


def replay_picks(run: Run, frames: int = REPLAY_FRAMES) -> np.ndarray:
    """Indices of `frames` snapshots evenly spread from the first to the last."""
    return np.unique(np.linspace(0, len(run.steps) - 1, min(frames, len(run.steps))).round().astype(int))


def replay_html(loss, run: Run, seen) -> str:
    picks = replay_picks(run)
    radius = replay_radius(run)
    frames = [to_json(snapshot_figure(loss, run, int(i), seen, radius, REPLAY_POINTS)) for i in picks]
    title = html.escape(f"{run.config['loss']} ({run.config['dim']}-D) on {run.config['dataset']}: replay")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;margin:16px}}#fig{{width:100%;height:80vh}}
.bar{{display:flex;gap:12px;align-items:center;font-size:18px}}input[type=range]{{flex:1}}</style>
<script>{plotly_js()}</script></head><body><h2>{title}</h2>
<div class="bar"><button id="play">Play</button><input id="pick" type="range" min="0" max="{len(frames) - 1}"
value="{len(frames) - 1}"><span id="label"></span></div><div id="fig"></div>
<script>
const frames = [{",".join(frames)}];
const steps = {json.dumps([int(run.steps[i]) for i in picks])};
const pick = document.getElementById("pick"), label = document.getElementById("label");
function show(i) {{ const f = frames[i]; Plotly.react("fig", f.data, f.layout); label.textContent = "step " + steps[i]; }}
pick.oninput = () => show(+pick.value);
let timer = null;
document.getElementById("play").onclick = (e) => {{
  if (timer) {{ clearInterval(timer); timer = null; e.target.textContent = "Play"; return; }}
  if (+pick.value === frames.length - 1) pick.value = 0;
  e.target.textContent = "Pause";
  timer = setInterval(() => {{ if (+pick.value >= frames.length - 1) {{ clearInterval(timer); timer = null;
    e.target.textContent = "Play"; return; }} pick.value = +pick.value + 1; show(+pick.value); }}, 250);
}};
show(frames.length - 1);
</script></body></html>"""


def write_png(figure: dict, path: Path, width: int = 1200, height: int = 900) -> None:
    """PNG through Kaleido, which drives the system Chromium (BROWSER_PATH or chromium on PATH)."""
    atomic_write(Path(path), to_figure(figure).to_image(format="png", width=width, height=height, scale=1))


def write_figures(trainer, run: Run, out: Path, png: bool = True) -> list[Path]:
    """figure.html, figure.png and replay.html of a finished run in `out`."""
    out = Path(out)
    last = len(run.steps) - 1
    figure = snapshot_figure(trainer.loss, run, last, trainer.seen)
    html_text = to_figure(figure).to_html(include_plotlyjs=True, full_html=True)
    atomic_write(out / "figure.html", html_text.encode())
    written = [out / "figure.html"]
    if png:
        write_png(figure, out / "figure.png")
        written.append(out / "figure.png")
    atomic_write(out / "replay.html", replay_html(trainer.loss, run, trainer.seen).encode())
    return written + [out / "replay.html"]
