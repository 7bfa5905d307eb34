"""Theory figures, no training: ψ(θ), the target logits, two class vectors and their margin gap,
SphereFace's Properties 2 and 3 measured from the regions, and Table 1 as formulas. Also how far apart
C class vectors can be at best (the Tammes problem) and the largest margin each loss then allows
(docs/math.md, "How far apart can the classes be, and which margins fit").

Every curve calls the loss modules (`target_cos`, `decision_regions`); the only formulas typed here
are the closed forms drawn *next to* the measurements, for comparison.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch

from .geometry import GAP, gap_between, owned_arcs
from .losses import MarginLoss, build_loss, loss_class, psi
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


# --- how far apart the classes can be, and which margins fit ---------------------------------------
# docs/math.md, "How far apart can the classes be, and which margins fit".

# The Tammes problem's optimum on the sphere: the largest possible smallest angle (degrees) between C
# unit vectors in 3-D, all proved optimal. Closed forms: 4: arccos(−1/3) (tetrahedron); 5, 6: 90°
# (octahedron, less a vertex for 5); 8: arccos(1/(1 + 2√2)) (square antiprism); 9: arccos(1/3);
# 11, 12: arctan 2 (icosahedron, less a vertex for 11). 7 and 10: roots of cubics. Source: H. Cohn's
# table of spherical codes and OEIS A340918 (N = 10); see docs/math.md for the references.
TAMMES_DEGREES = {2: 180.0, 3: 120.0, 4: 109.471221, 5: 90.0, 6: 90.0, 7: 77.869542, 8: 74.858492,
                  9: 70.528779, 10: 66.146822, 11: 63.434949, 12: 63.434949}

# Margins whose bound is "the target's cosine at θ = 0 must beat cos δ": what replaces cos θ_y at θ_y = 0.
# CosFace: 1 − m > cos δ; ArcFace: cos m > cos δ (m, δ ∈ [0, π]).
_BOUNDS = {"cosface": lambda delta: 1 - math.cos(delta), "arcface": lambda delta: delta}
_SV_WRAPS = {"am": "cosface", "arc": "arcface", "plain": None}


def best_spread(classes: int, dim: int) -> float:
    """The largest possible smallest angle (degrees) between `classes` unit vectors in `dim` dimensions:

        δ(C, d) = max over unit w_1 … w_C of min_{i≠j} ∠(w_i, w_j).

    Circle (d = 2): δ = 360°/C, the regular C-gon. Sphere (d = 3): the Tammes problem, known exactly
    only case by case; here from a table for C = 2…12 (`TAMMES_DEGREES`). ValueError beyond it.
    """
    classes, dim = int(classes), int(dim)
    if classes < 2:
        raise ValueError(f"need at least 2 classes, got {classes}")
    if dim == 2:
        return 360.0 / classes
    if dim == 3:
        if classes not in TAMMES_DEGREES:
            raise ValueError(f"the best spread of {classes} classes on the sphere is not in the table "
                             f"(C = 2…12); beyond it the Tammes problem has no closed form here")
        return TAMMES_DEGREES[classes]
    raise ValueError(f"best_spread knows the circle (dim 2) and the sphere (dim 3), got dim {dim}")


def spread(weight) -> float:
    """The smallest angle (degrees) between two rows of W, a (C, d) array or tensor of class vectors:

        min_{i≠j} ∠(W_i, W_j),  ∠(a, b) = 2 atan2(‖â − b̂‖, ‖â + b̂‖)  (â = a/‖a‖),

    the same angle as arccos(â·b̂), but accurate for nearly parallel rows too.
    """
    w = torch.as_tensor(weight).detach().to(torch.float64)
    if w.ndim != 2 or w.shape[0] < 2:
        raise ValueError(f"need a (C, d) array with C >= 2 class vectors, got shape {tuple(w.shape)}")
    w = torch.nn.functional.normalize(w, dim=1)
    i, j = torch.triu_indices(w.shape[0], w.shape[0], 1)
    a, b = w[i], w[j]
    angles = 2 * torch.atan2((a - b).norm(dim=1), (a + b).norm(dim=1))
    return math.degrees(angles.min().item())


def _declared(loss_name: str, hparams: dict) -> dict:
    """The loss's hyper-parameters: declared defaults, overridden (and checked) by `hparams`."""
    declared = loss_class(loss_name).params()
    unknown = sorted(set(hparams) - set(declared))
    if unknown:
        raise ValueError(f"loss {loss_name!r} does not take {', '.join(unknown)}")
    return {key: param.check(hparams.get(key, param.default)) for key, param in declared.items()}


def _bounded(loss_name: str, hparams: dict) -> str | None:
    """Which margin's bound applies: "cosface", "arcface", or None (the loss has none)."""
    values = _declared(loss_name, hparams)
    if loss_name == "sv_softmax":
        return _SV_WRAPS[values["variant"]]
    return loss_name if loss_name in _BOUNDS else None


def largest_margin(loss_name: str, classes: int, dim: int, **hparams) -> float | None:
    """The largest margin m for which a feature lying on its own class vector W_i still beats its
    nearest neighbour, with the C class vectors spread as far apart as possible (δ = best_spread(C, d)).

    At x = W_i, θ_i = 0 and the nearest other class sits at θ_k = δ, so class i keeps its direction iff
    its target beats cos δ:

        CosFace:    1 − m > cos δ      ⇔  m < 1 − cos δ
        ArcFace:    cos(0 + m) > cos δ ⇔  m < δ (radians; both in [0, π])
        A-Softmax:  ψ(0) = 1 > cos δ for every m (and every λ): None, no bound
        SV-Softmax: its ground truth g's bound ("am": CosFace's, "arc": ArcFace's, "plain": None), for
                    every t ≥ 1. Below it g(0) > cos θ_k for every k, so no class is a support vector
                    and nothing is raised; at it g(0) = cos δ, still no support vector (that needs
                    g(θ_y) < cos θ_k), a tie; above it the neighbour is a support vector, raised to
                    t cos δ + t − 1 = cos δ + (t − 1)(1 + cos δ) ≥ cos δ > g(0). t deepens the loss
                    past the bound but does not move it.
        softmax, modified softmax: None, no margin.

    The value returned is the supremum, in the parameter's own unit (ArcFace's m in radians): at m equal
    to it the target only ties its neighbour, and W_i's direction falls in the margin gap. (The code
    clamps cos θ to 1 − 10⁻⁶ before acos, so ArcFace's loss sees θ ≈ 0.0014 rad on W_i and gives the
    direction up 0.0014 rad early.)
    """
    kind = _bounded(loss_name, hparams)
    if kind is None:
        return None
    return _BOUNDS[kind](math.radians(best_spread(classes, dim)))


def _fmt(value: float, other: float) -> str:
    """`value` to 3 decimals, more if needed to tell it from `other`."""
    for digits in range(3, 8):
        text = f"{value:.{digits}f}"
        if f"{other:.{digits}f}" != text:
            return text
    return text


def margin_note(loss_name: str, m: float, classes: int, dim: int, **hparams) -> str | None:
    """One sentence for a student: is m within `largest_margin` (a feature on its own W_i still beats its
    neighbour when the classes are spread as far apart as possible) or beyond it? None: no bound."""
    bound = largest_margin(loss_name, classes, dim, **hparams)
    if bound is None:
        return None
    m = float(m)
    unit = " rad" if _bounded(loss_name, hparams) == "arcface" else ""
    where = {2: "on a circle", 3: "on a sphere"}[int(dim)]
    limit = f"m < {_fmt(bound, m)}{unit}" + (f" ({math.degrees(bound):.1f}°)" if unit else "")
    head = f"{limit} lets every one of {classes} classes {where} keep its own direction; m = {m:g}{unit} is "
    if m < bound:
        return head + ("within it: with the classes spread as far apart as possible, a feature on its own W "
                       "still beats its neighbour.")
    return head + ("beyond it: however the classes are arranged, for some class a feature on its own W no "
                   "longer beats its neighbour.")
