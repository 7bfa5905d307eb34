"""Theory figures, no training: ψ(θ), the target logits, two class vectors and their margin gap,
SphereFace's Properties 2 and 3 measured from the regions, and Table 1 as formulas.

Every curve calls the loss modules (`target_cos`, `decision_regions`); the only formulas typed here
are the closed forms drawn *next to* the measurements, for comparison.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch

from .geometry import GAP, gap_between, owned_arcs
from .losses import MarginLoss, build_loss, psi
from .plots import FONT, INK, PALETTE, feature_figure

PROPERTY_2 = 2 + math.sqrt(3)  # smallest m separating two classes (SphereFace §3.4)
PROPERTY_3 = 3.0               # smallest m for many evenly spaced classes

# SphereFace's Table 1, extended (docs/math.md): boundary of class 1 against class 2.
TABLE1 = [
    ("Softmax", r"$(W_1 - W_2)\cdot x + b_1 - b_2 = 0$", "a line; off the origin when $b_1 \\neq b_2$"),
    ("Modified softmax", r"$\|x\|(\cos\theta_1 - \cos\theta_2) = 0$", r"$\theta_1 = \theta_2$"),
    ("A-Softmax", r"$\|x\|(\cos m\theta_1 - \cos\theta_2) = 0$ (ψ in general)", r"$m\theta_1 = \theta_2$"),
    ("CosFace", r"$s(\cos\theta_1 - m - \cos\theta_2) = 0$", "—"),
    ("ArcFace", r"$s(\cos(\theta_1 + m) - \cos\theta_2) = 0$", r"$\theta_1 + m = \theta_2$"),
    ("SV-X", r"as X; where active, the target must beat $t\cos\theta_k + t - 1$ (dashed)", "—"),
]


def table1_markdown() -> str:
    rows = ["| loss | decision boundary of class 1 | in angles |", "|---|---|---|"]
    return "\n".join(rows + [f"| {name} | {boundary} | {angles} |" for name, boundary, angles in TABLE1])


def layout(title: str, x_title: str, y_title: str, **extra) -> dict:
    return {"title": {"text": title, "x": 0.02, "font": {"size": 22}}, "font": FONT, "template": "plotly_white",
            "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}},
            "margin": {"l": 70, "r": 20, "t": 60, "b": 60}, "legend": {"font": {"size": 16}}, **extra}


def psi_figure(m: float = 4.0) -> dict:
    """ψ(θ) for m = 1…4 and the chosen m: continuous and decreasing, so the target logit falls with θ."""
    theta = torch.linspace(0, math.pi, 721, dtype=torch.float64)
    x = np.degrees(theta.numpy())
    traces = []
    for k, mm in enumerate(sorted({1.0, 2.0, 3.0, 4.0, float(m)})):
        chosen = mm == float(m)
        traces.append({"type": "scatter", "x": x, "y": psi(theta.cos(), mm).numpy(), "mode": "lines",
                       "name": f"m = {mm:g}" + (" (chosen)" if chosen else ""),
                       "line": {"width": 5 if chosen else 2, "color": INK if chosen else PALETTE[k % len(PALETTE)]}})
    return {"data": traces, "layout": layout("ψ(θ) = (−1)^k cos(mθ) − 2k", "θ (degrees)", "ψ(θ)")}


def target_figure(losses: dict[str, MarginLoss]) -> dict:
    """The target logit ÷ its scale against θ_y for each loss as configured, with cos θ for reference:
    where a curve lies below cos θ, that loss asks for more than plain softmax would."""
    theta = torch.linspace(0, math.pi, 721, dtype=torch.float64)
    x = np.degrees(theta.numpy())
    traces = [{"type": "scatter", "x": x, "y": theta.cos().numpy(), "mode": "lines", "name": "cos θ (no margin)",
               "line": {"color": INK, "dash": "dash", "width": 2}}]
    for k, (name, loss) in enumerate(losses.items()):
        with torch.no_grad():
            y = loss.target_cos(theta.cos()[:, None].to(loss.weight.dtype)).double().flatten().numpy()
        # later curves dotted: equal curves (SV-AM and CosFace at the same m) must both stay visible
        traces.append({"type": "scatter", "x": x, "y": y, "mode": "lines", "name": name,
                       "line": {"width": 3, "color": PALETTE[(2 * k + 1) % len(PALETTE)],
                                "dash": ("solid", "solid", "solid", "dot", "dashdot", "longdash")[k % 6]}})
    return {"data": traces, "layout": layout("Target logit ÷ scale against θ_y", "θ_y (degrees)", "f_y / scale",
                                              yaxis={"title": {"text": "f_y / scale"}, "range": [-3, 1.1]})}


def two_class_loss(name: str, theta12: float, **hparams) -> MarginLoss:
    """A 2-D, two-class loss with W_0 at 0° and W_1 at θ12 degrees."""
    loss = build_loss(name, 2, 2, **hparams)
    a = math.radians(theta12)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [math.cos(a), math.sin(a)]]))
    return loss


def predicted_gap(name: str, theta12: float, loss: MarginLoss) -> float | None:
    """The closed-form angular margin of docs/math.md, "Decision boundaries (Table 1)", where one exists."""
    if name == "a_softmax" and loss.lam == 0:
        return (loss.m - 1) / (loss.m + 1) * theta12
    if name == "arcface" or (name == "sv_softmax" and loss.variant == "arc"):
        return math.degrees(loss.m)
    if name in ("softmax", "modified_softmax") or (name == "sv_softmax" and loss.variant == "plain"):
        return 0.0
    return None


def two_vector_figure(name: str, theta12: float, **hparams) -> tuple[dict, float, float | None]:
    """The two-class circle with both boundaries and the gap; returns (figure, measured°, closed form°)."""
    loss = two_class_loss(name, theta12, **hparams)
    measured = gap_between(loss, 0, 1)
    predicted = predicted_gap(name, theta12, loss)
    title = f"θ₁₂ = {theta12:g}°: gap measured {measured:.1f}°" + \
        (f", closed form {predicted:.1f}°" if predicted is not None else "")
    fig = feature_figure(loss, np.zeros((0, 2), np.float32), np.zeros(0, int), ["class 0", "class 1"],
                         project=True, title=title)
    return fig, measured, predicted


def separation(loss: MarginLoss, cls: int = 0) -> tuple[float, float]:
    """(largest angle within the region of `cls`, smallest gap between two classes' regions), degrees,
    read off the 2-D regions: SphereFace's criterion asks the first to be below the second."""
    arcs = owned_arcs(loss, 7200)
    width = sum(b - a for a, b, who in arcs if who == cls)
    gaps = [b - a for k, (a, b, who) in enumerate(arcs)
            if who == GAP and arcs[k - 1][2] != GAP and arcs[(k + 1) % len(arcs)][2] != GAP]
    return width, min(gaps) if gaps else 0.0


def even_loss(name: str, classes: int, **hparams) -> MarginLoss:
    loss = build_loss(name, 2, classes, **hparams)
    a = torch.arange(classes, dtype=torch.float64) * 2 * math.pi / classes
    with torch.no_grad():
        loss.weight.copy_(torch.stack([a.cos(), a.sin()], 1))
    return loss


@functools.lru_cache(maxsize=4)
def separation_curves(ms: tuple[float, ...], classes: int = 10) -> dict:
    """max intra / min inter against m for A-Softmax (λ = 0): two classes 90° apart, and `classes`
    evenly spaced classes."""
    pure = {"lambda_base": 0.0, "lambda_min": 0.0}
    two, many = [], []
    for m in ms:
        for out, loss in ((two, two_class_loss("a_softmax", 90.0, m=m, **pure)),
                          (many, even_loss("a_softmax", classes, m=m, **pure))):
            intra, inter = separation(loss)
            out.append(intra / inter if inter > 0 else math.inf)
    return {"two": two, "many": many}


def separation_figure(m: float | None = None, classes: int = 10) -> dict:
    """Properties 2 and 3, measured: the ratio falls below 1 at m = 2 + √3 (two classes) and m = 3 (many)."""
    ms = tuple(np.round(np.arange(1.1, 6.001, 0.05), 4).tolist())
    curves = separation_curves(ms, classes)
    clip = lambda ys: [min(y, 4.0) for y in ys]  # noqa: E731 - the ratio is infinite as m → 1
    traces = [
        {"type": "scatter", "x": ms, "y": clip(curves["two"]), "mode": "lines", "name": "two classes",
         "line": {"width": 3, "color": PALETTE[1]}},
        {"type": "scatter", "x": ms, "y": clip(curves["many"]), "mode": "lines", "name": f"{classes} even classes",
         "line": {"width": 3, "color": PALETTE[9]}},
    ]
    shapes = [{"type": "line", "x0": 1, "x1": 6, "y0": 1, "y1": 1, "line": {"color": INK, "dash": "dot"}}]
    notes = []
    for x, text in ((PROPERTY_2, "2 + √3 (Property 2)"), (PROPERTY_3, "3 (Property 3)")):
        shapes.append({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 4, "line": {"color": "#888", "dash": "dash"}})
        notes.append({"x": x, "y": 3.8 if x == PROPERTY_3 else 3.4, "text": text, "showarrow": False,
                      "xanchor": "left", "font": {"size": 15}})
    if m is not None:
        shapes.append({"type": "line", "x0": m, "x1": m, "y0": 0, "y1": 4, "line": {"color": INK, "width": 3}})
    return {"data": traces, "layout": layout("max intra-class ÷ min inter-class angle (A-Softmax, λ = 0)", "m",
                                              "ratio (< 1: criterion met)", shapes=shapes, annotations=notes,
                                              yaxis={"range": [0, 4], "title": {"text": "ratio (< 1: criterion met)"}})}
