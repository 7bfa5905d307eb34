"""A margin sweep, SphereFace Fig. 5 live: one loss at several values of its margin, each trained with the
same seed (so the same initial CNN, batches and evaluation images); only the margin differs.

The swept parameter and its default grid are the loss's own declaration (`MarginLoss.swept`): m for
A-Softmax, CosFace and ArcFace, t for SV-Softmax. The app trains the values in a training thread per free
core (the player's lanes, pages/sweep.py); `run_sweep` trains them in worker threads, one per core, for the CLI.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from . import limits
from .losses import HyperParam, loss_class
from .plots import INK, PALETTE, default_radius
from .runio import Run


def swept(loss: str) -> HyperParam:
    """The parameter a sweep of this loss varies, or ValueError for a loss without a margin."""
    param = loss_class(loss).swept()
    if param is None:
        raise ValueError(f"the {loss} loss has no margin to sweep")
    return param


def check_values(loss: str, values) -> list[float]:
    """The values as a sorted list of distinct numbers, each within the parameter's declared range."""
    param = swept(loss)
    values = sorted({param.check(v) for v in values})
    if not 1 <= len(values) <= limits.MAX_SWEEP_VALUES:
        raise ValueError(f"a sweep takes 1 to {limits.MAX_SWEEP_VALUES} distinct values of {param.name}, "
                         f"got {len(values)}")
    return values


def configs(loss: str, values, dim: int = 2, seed: int = 0, **common) -> dict:
    """{value: TrainConfig}: the same seed and settings for every value (pages and CLI alike)."""
    from .recipe import TrainConfig

    param, values = swept(loss), check_values(loss, values)
    hparams = dict(common.pop("hparams", {}))
    return {v: TrainConfig(loss=loss, dim=dim, seed=seed, **common, hparams={**hparams, param.name: v})
            for v in values}


@dataclass
class Result:
    """One value's finished run: its final test and training compactness and accuracy, and its last snapshot."""

    value: float
    metrics: dict
    run: Run


def train_one(config, dataset=None) -> tuple[dict, Run]:
    """Train one config to the end of its schedule."""
    from .runio import run_from_trainer
    from .trainer import Trainer

    trainer = Trainer(config, dataset)
    metrics = trainer.run(eval_every=None)
    return metrics, run_from_trainer(trainer, last_only=True)


def run_sweep(loss: str, values, dim: int = 2, seed: int = 0, workers: int | None = None, **common) -> list[Result]:
    """Train every value to the end, `workers` at once (default: one per core), in threads of this process.
    torch runs each step's kernels without the GIL, so two threads train as fast as two processes, and
    they start at once and share the data: a spawned worker would spend ~6 s starting Python, torch
    and torch._dynamo before its first step (docs/benchmarks.md, "A sweep's cost"). The data is
    loaded first: a bad data folder fails here, before any training."""
    from .data import load_dataset
    from .recipe import NO_SCHEDULE

    jobs = configs(loss, values, dim, seed, threads=1, snapshot_every=NO_SCHEDULE, **common)
    first = next(iter(jobs.values()))
    dataset = load_dataset(first.dataset, first.data_dir, first.download)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(train_one, jobs.values(), repeat(dataset)))
    return [Result(v, metrics, run) for v, (metrics, run) in zip(jobs, done)]


def value_label(param: HyperParam, value: float) -> str:
    return f"{param.name} = {value:g}" + (f" {param.unit}" if param.unit else "")


def small_multiples(panels: list[dict], titles: list[str], columns: int | None = None) -> dict:
    """Feature figures (plots.feature_figure) side by side in one figure, each keeping its own axes (2-D)
    or scene (3-D, all with the same camera); the first panel's legend stands for all."""
    columns = columns or min(len(panels), 4)
    rows = math.ceil(len(panels) / columns)
    data, layout = [], {**panels[0]["layout"], "annotations": []}
    layout.pop("xaxis", None), layout.pop("yaxis", None), layout.pop("scene", None)
    gap = 0.02
    for k, (panel, title) in enumerate(zip(panels, titles)):
        r, c = divmod(k, columns)
        x = [c / columns + gap, (c + 1) / columns - gap]
        y = [1 - (r + 1) / rows + gap, 1 - r / rows - 0.08 / rows]
        suffix = "" if k == 0 else str(k + 1)
        for trace in panel["data"]:
            trace = dict(trace, showlegend=trace.get("showlegend", True) and k == 0)
            if trace["type"] in ("scatter3d", "surface", "mesh3d", "cone"):
                trace["scene"] = "scene" + suffix
            else:
                trace["xaxis"], trace["yaxis"] = "x" + suffix, "y" + suffix
            data.append(trace)
        own = panel["layout"]
        if "scene" in own:
            layout["scene" + suffix] = {**own["scene"], "domain": {"x": x, "y": y}}
        else:
            layout["xaxis" + suffix] = {**own["xaxis"], "domain": x, "anchor": "y" + suffix}
            layout["yaxis" + suffix] = {**own["yaxis"], "domain": y, "anchor": "x" + suffix,
                                        "scaleanchor": "x" + suffix}
        layout["annotations"].append({"text": title, "x": sum(x) / 2, "y": y[1] + 0.01, "xref": "paper",
                                      "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                                      "showarrow": False, "font": {"size": 20, "color": INK}})
    layout["margin"] = {"l": 10, "r": 10, "t": 70, "b": 10}
    return {"data": data, "layout": layout}


def sweep_panels(results: list[Result], project: bool = True, points: int | None = None) -> tuple[list, list]:
    """Each value's trained features with its boundaries, on one scale, and a caption of its numbers."""
    from .export import run_loss, snapshot_figure

    param = swept(results[0].run.config["loss"])
    panels, captions = [], []
    radius = None if project else max(default_radius(r.run.features[-1], False) for r in results)
    for result in results:
        loss, seen = run_loss(result.run)  # snapshot_figure gives it the snapshot's W and λ
        panels.append(snapshot_figure(loss, result.run, len(result.run.steps) - 1, seen, radius=radius,
                                      points=points, project=project))
        captions.append(f"{value_label(param, result.value)} · Intra {result.metrics['intra']:.1f}° · "
                        f"{result.metrics['test_accuracy']:.1%}")
    return panels, captions


def sweep_figure(results: list[Result], project: bool = True, points: int | None = None) -> dict:
    """The small multiples of a finished sweep: each value's features with its boundaries."""
    param = swept(results[0].run.config["loss"])
    figure = small_multiples(*sweep_panels(results, project, points))
    loss_title = loss_class(results[0].run.config["loss"]).title
    figure["layout"]["title"] = {"text": f"{loss_title}, {results[0].run.features.shape[2]}-D: "
                                         f"sliding {param.name}", "x": 0.02, "font": {"size": 22}}
    figure["layout"]["margin"]["t"] = 110
    return figure


def sweep_chart(values: list[float], metrics: list[dict], param: HyperParam) -> dict:
    """Intra and Inter against the swept value (left), and each value's pair-angle histograms (right):
    same-class pairs solid, different-class pairs dashed; with a larger margin they pull apart."""
    axis = {"showgrid": True, "gridcolor": "#eee", "zeroline": False}
    name = param.name + (f" ({param.unit})" if param.unit else "")
    traces = [{"type": "scatter", "mode": "lines+markers", "x": values, "y": [m[key] for m in metrics],
               "name": label, "line": {"color": colour, "dash": dash}, "xaxis": "x", "yaxis": "y"}
              for key, label, colour, dash in (("intra", "Intra (test)", PALETTE[1], "solid"),
                                               ("train_intra", "Intra (training)", PALETTE[4], "dot"),
                                               ("inter_min", "min Inter", PALETTE[0], "solid"),
                                               ("inter", "mean Inter", PALETTE[5], "dash"))
              if all(m.get(key) is not None for m in metrics)]
    for k, (value, m) in enumerate(zip(values, metrics)):
        edges = np.asarray(m["hist_edges"])
        centres = ((edges[1:] + edges[:-1]) / 2).tolist()
        colour = PALETTE[(2 * k + 1) % len(PALETTE)]
        label = f"{param.name} = {value:g}"
        traces.append({"type": "scatter", "mode": "lines", "x": centres, "y": m["hist_same"], "name": label,
                       "legendgroup": label, "line": {"color": colour, "shape": "hvh"}, "xaxis": "x2", "yaxis": "y2"})
        traces.append({"type": "scatter", "mode": "lines", "x": centres, "y": m["hist_different"], "name": label,
                       "legendgroup": label, "showlegend": False, "line": {"color": colour, "dash": "dash",
                                                                           "shape": "hvh"},
                       "xaxis": "x2", "yaxis": "y2"})
    layout = {"font": {"family": "Inter, Helvetica, Arial, sans-serif", "size": 15, "color": INK},
              "template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 10, "t": 40, "b": 50},
              "xaxis": {**axis, "domain": [0, 0.42], "title": {"text": name}},
              "yaxis": {**axis, "title": {"text": "degrees"}, "rangemode": "tozero"},
              "xaxis2": {**axis, "domain": [0.52, 1], "range": [0, 180], "title": {"text": "angle between two test "
                                                                                            "features (°)"}},
              "yaxis2": {**axis, "anchor": "x2", "title": {"text": "share of pairs"}},
              "annotations": [{"text": "same class: solid · different classes: dashed", "x": 0.76, "y": 1.06,
                               "xref": "paper", "yref": "paper", "showarrow": False}]}
    return {"data": traces, "layout": layout}
