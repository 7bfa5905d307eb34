"""Plotly figures of features, class vectors W_j and decision regions, in 2-D and 3-D.

Every region, boundary and gap comes from `geometry.decision_regions`, i.e. from the loss module's
own logits; nothing here re-types a formula. Built to be projected: large fonts, one colourblind-safe
palette, fixed axis ranges (pass `radius`) so successive frames do not jump.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .geometry import GAP, circle_points, decision_regions, runs_on_circle, sphere_points
from .losses import MarginLoss

# Paul Tol's "muted" nine plus Tol-vibrant orange: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499",
           "#EE7733")
GAP_COLOUR = "#D4D4D4"
INK = "#333333"
FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 18, "color": INK}
RING_SAMPLES = 1440  # 0.25° per sample on the circle
PLANE_CELLS = 121    # softmax's regions in the plane: a PLANE_CELLS² grid
DRAW_STRIDE = 4      # of which the region arcs draw every 4th: 1°
BREAK = complex(math.nan, math.nan)  # ends one piece of a trace drawn in several (x and y both NaN)
MAX_POINTS = 2000    # features drawn per frame; more are subsampled evenly
# plotly.js draws its modebar 2 px below the figure's top edge, buttons 22 px high (its CSS, .modebar and
# .modebar-btn; the bar ends 25 px down in Chromium): a title starting lower is never under it, however
# long the title or narrow the chart.
MODEBAR_BAND = 26
# A W arrow reaches W_LENGTH sphere radii from the centre and the scene's axes SCENE_EXTENT radii. plotly.js
# fits the scene to the plot area's height (a 45° field of view), so a label pointing sideways leaves a
# narrow plot area first. With the camera's eye at SCENE_EYE, a W label at any turn of the sphere stays
# inside a plot area down to 0.72 as wide as high (at 1.35 or 1.45 it would not). These plotly scenes are the
# static figures (the replay panel, the downloads); the live view draws W on its own canvas, where each label
# is placed free of the others (pages/ui/feature_view.js).
W_LENGTH, SCENE_EXTENT = 1.2, 1.5
SCENE_EYE = {"x": 0.95, "y": 0.95, "z": 0.6}


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def pastel(hex_colour: str, white: float = 0.55) -> str:
    """The colour mixed with white."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#%02X%02X%02X" % tuple(round(v + (255 - v) * white) for v in (r, g, b))


def region_colour(owner: int, seen: list[int]) -> str:
    return GAP_COLOUR if owner == GAP else PALETTE[seen[owner] % len(PALETTE)]


def subsample(features: np.ndarray, labels: np.ndarray, limit: int = MAX_POINTS):
    if len(features) <= limit:
        return features, labels
    keep = np.linspace(0, len(features) - 1, limit).round().astype(int)
    return features[keep], labels[keep]


def default_radius(features: np.ndarray, project: bool) -> float:
    if project or len(features) == 0:
        return 1.0
    return float(np.quantile(np.linalg.norm(features, axis=1), 0.98)) * 1.1 or 1.0


def boundary_angles(owner: np.ndarray, phi: torch.Tensor) -> np.ndarray:
    """Angles where the owner changes around the circle: the boundary rays."""
    edges = np.flatnonzero(owner != np.roll(owner, 1))
    return (phi.numpy()[edges] + phi.numpy()[edges - 1]) / 2 + np.where(edges == 0, math.pi, 0)


def rays(angles: np.ndarray, radius: float) -> tuple[list, list]:
    xs, ys = [], []
    for a in angles:
        xs += [0.0, radius * math.cos(a), None]
        ys += [0.0, radius * math.sin(a), None]
    return xs, ys


def comparison_losses(loss: MarginLoss) -> list[tuple[str, MarginLoss]]:
    """Extra dashed boundaries (docs/math.md, "Decision boundaries (Table 1)"): A-Softmax at λ = 0,
    SV-Softmax's raised logits."""
    if getattr(loss, "lam", 0) and loss.lam > 0:
        return [("pure A-Softmax (λ = 0)", loss.with_params(lambda_base=0.0, lambda_min=0.0))]
    if hasattr(loss, "always_raise") and loss.t > 1:
        return [("raised logit t·cos θ + t − 1", loss.with_params(always_raise=True))]
    return []


def feature_traces(features, labels, class_names, seen, loss, scale=1.0, dim=2):
    """One trace per class: features (optionally scaled), hover shows class and angle to its W."""
    unit_w = torch.nn.functional.normalize(loss.weight.detach().double(), dim=1).numpy()
    index = {c: i for i, c in enumerate(seen)}
    norms = np.linalg.norm(features, axis=1, keepdims=True).clip(min=1e-12)
    traces = []
    for c in sorted(set(labels.tolist())):
        pts = features[labels == c]
        name = class_names[c] if c < len(class_names) else str(c)
        if c in index:
            cos = (pts / norms[labels == c]) @ unit_w[index[c]]
            angle = np.degrees(np.arccos(np.clip(cos, -1, 1)))
            hover = f"class {name}<br>angle to W: %{{customdata:.1f}}°<extra></extra>"
            marker = {"color": PALETTE[c % len(PALETTE)], "size": 6 if dim == 2 else 3, "opacity": 0.8}
            if dim == 2:  # an outline tells apart points that pile up on their class's direction
                marker["line"] = {"color": "white", "width": 0.5}
        else:
            angle = np.full(len(pts), np.nan)
            hover = f"class {name} (held out, unseen in training)<extra></extra>"
            marker = {"color": PALETTE[c % len(PALETTE)], "size": 7 if dim == 2 else 4, "symbol": "x"}
        pts = (pts * scale).astype(np.float32)
        coords = dict(x=pts[:, 0], y=pts[:, 1]) if dim == 2 else dict(x=pts[:, 0], y=pts[:, 1], z=pts[:, 2])
        # SVG, not WebGL: at <= 2,000 points it draws faster, above all in browsers without a GPU
        # (docs/benchmarks.md)
        traces.append(dict(type="scatter" if dim == 2 else "scatter3d", mode="markers", name=name, marker=marker,
                           customdata=angle.astype(np.float32), hovertemplate=hover, legendgroup=str(c), **coords))
    return traces


def figure_2d(loss, features, labels, class_names, seen, project, radius):
    # half a sample off the grid: evenly spread W put exact ties (measure zero) on whole-degree angles
    phi, points = circle_points(RING_SAMPLES, offset=0.5)
    owner = decision_regions(loss, points).numpy()
    # Projected features all lie on the unit circle: a ring just outside it would hide each class's points
    # under its own colour, so it keeps a clear gap there.
    ring = radius * (1.15 if project else 1.04)
    # Each run is a filled wedge and a thick arc. All gap runs share one wedge trace and one arc trace,
    # split by NaN: the browser's cost is per trace (~2.5 ms a redraw each), and margins make ten gaps.
    runs = {}
    for start, stop, who in runs_on_circle(torch.from_numpy(owner)):
        # drawn at 1° (the ends exact): a 1° chord is a hundredth of a pixel off the circle, and every
        # sample drawn is sent to the browser at every redraw
        k = np.r_[np.arange(start, stop, DRAW_STRIDE), stop]
        angles = phi.numpy()[k % len(owner)] + np.where(k >= len(owner), 2 * math.pi, 0)
        runs.setdefault((who, 0 if who == GAP else start), []).append(angles)
    traces = []
    for (who, _), arcs in runs.items():
        colour = region_colour(who, seen)
        label = "margin gap" if who == GAP else "owned by " + class_names[seen[who]]
        wedge = [np.r_[0, ring * np.exp(1j * a), 0, BREAK] for a in arcs]
        arc = [np.r_[ring * np.exp(1j * a), BREAK] for a in arcs]
        wedge, arc = np.concatenate(wedge)[:-1].astype(np.complex64), np.concatenate(arc)[:-1].astype(np.complex64)
        traces.append(dict(type="scatter", x=wedge.real, y=wedge.imag, mode="none", fill="toself",
                           fillcolor=rgba(colour, 0.10 if who != GAP else 0.35),
                           line={"width": 0}, hoverinfo="skip", showlegend=False))
        traces.append(dict(type="scatter", x=arc.real, y=arc.imag, mode="lines", line={"color": colour, "width": 14},
                           showlegend=False, hovertemplate=f"{label}<extra></extra>"))
    for name, other in comparison_losses(loss):
        xs, ys = rays(boundary_angles(decision_regions(other, points).numpy(), phi), ring * 1.1)
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=name,
                           line={"color": INK, "width": 2, "dash": "dash"}, hoverinfo="skip"))
    xs, ys = rays(boundary_angles(owner, phi), ring * 1.1)
    traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", name="decision boundary",
                       line={"color": INK, "width": 2.5}, hoverinfo="skip"))
    shown = features / np.linalg.norm(features, axis=1, keepdims=True).clip(min=1e-12) if project else features
    traces += feature_traces(shown, labels, class_names, seen, loss)
    traces += weight_arrows_2d(loss, seen, ring * 0.92)
    return traces, ring * 1.22


def weight_arrows_2d(loss, seen, length):
    w = torch.nn.functional.normalize(loss.weight.detach().double(), dim=1).numpy() * length
    xs, ys = rays(np.arctan2(w[:, 1], w[:, 0]), length)
    return [dict(type="scatter", x=xs, y=ys, mode="lines", line={"color": INK, "width": 3}, hoverinfo="skip",
                 name="W_j", legendgroup="W"),
            dict(type="scatter", x=w[:, 0], y=w[:, 1], mode="markers+text", showlegend=False, legendgroup="W",
                 # the arrow symbol points up; plotly turns it clockwise by `angle` degrees
                 marker={"symbol": "arrow", "size": 16, "color": INK,
                         "angle": list(90 - np.degrees(np.arctan2(w[:, 1], w[:, 0])))},
                 text=[f"W{seen[i]}" for i in range(len(w))], textposition="top center",
                 textfont={"size": 16}, hovertemplate="class vector %{text}<extra></extra>")]


def softmax_2d(loss, features, labels, class_names, seen, radius, cells=PLANE_CELLS):
    """Softmax with bias: regions live in the plane; draw the region map and its real boundary lines."""
    grid = np.linspace(-radius, radius, cells, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    owner = decision_regions(loss, torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))).numpy()
    owner = owner.reshape(gx.shape)
    colours = [PALETTE[seen[i] % len(PALETTE)] for i in range(loss.num_classes)]
    scale = [[max(0.0, min(1.0, (i + k) / len(colours))), rgba(c, 0.18)] for i, c in enumerate(colours) for k in (0, 1)]
    traces = [dict(type="heatmap", x=grid, y=grid, z=owner.astype(np.float32), colorscale=scale,
                   zmin=-0.5, zmax=len(colours) - 0.5, showscale=False, hoverinfo="skip")]
    xs, ys = softmax_lines(loss, radius, touching_pairs(owner))
    traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", name="decision boundary",
                       line={"color": INK, "width": 2.5}, hoverinfo="skip"))
    traces += feature_traces(features, labels, class_names, seen, loss)
    traces += weight_arrows_2d(loss, seen, radius * 0.5)
    return traces, radius


def touching_pairs(owner: np.ndarray) -> set[tuple[int, int]]:
    """Class pairs whose regions share an edge of the grid (only their lines are real boundaries)."""
    pairs = set()
    for a, b in ((owner[:, 1:], owner[:, :-1]), (owner[1:, :], owner[:-1, :])):
        differ = a != b
        pairs |= {(min(i, j), max(i, j)) for i, j in zip(a[differ].tolist(), b[differ].tolist())}
    return {p for p in pairs if GAP not in p}


def softmax_lines(loss, radius, pairs, samples=400):
    """The pieces of (W_i − W_j)·x + b_i − b_j = 0 that separate region i from region j."""
    w, b = loss.weight.detach().double(), loss.bias.detach().double()
    xs, ys = [], []
    for i, j in sorted(pairs):
        n, c = w[i] - w[j], b[i] - b[j]
        norm = n.norm()
        if norm < 1e-12:
            continue
        foot = -c * n / norm ** 2  # the point of the line nearest the origin
        along = torch.stack([-n[1], n[0]]) / norm
        line = foot + torch.linspace(-3 * radius, 3 * radius, samples, dtype=torch.float64)[:, None] * along
        eps = 1e-4 * radius * n / norm
        real = ((decision_regions(loss, (line + eps).float()) == i) & (decision_regions(loss, (line - eps).float()) == j)
                & (line.abs() <= radius).all(1)).numpy()
        pts = np.where(real[:, None], line.numpy(), np.nan)
        xs += pts[:, 0].tolist() + [None]
        ys += pts[:, 1].tolist() + [None]
    return [None if x != x else x for x in xs], [None if y != y else y for y in ys]


def figure_3d(loss, features, labels, class_names, seen, project, radius, n_lat=73, n_lon=145):
    """The sphere of radius `radius` coloured by owning class, boundary curves, features, W arrows."""
    xyz = sphere_points(n_lat, n_lon)
    owner = decision_regions(loss, xyz.reshape(-1, 3) * radius).reshape(n_lat, n_lon).numpy()
    # pastel regions, so the saturated feature points on them stay visible
    colours = [GAP_COLOUR] + [pastel(PALETTE[seen[i] % len(PALETTE)]) for i in range(loss.num_classes)]
    k = len(colours)
    scale = [[min(1.0, (i + e) / k), c] for i, c in enumerate(colours) for e in (0, 1)]
    s = xyz.numpy() * radius
    traces = [dict(type="surface", x=s[..., 0], y=s[..., 1], z=s[..., 2], surfacecolor=(owner + 1).astype(np.float32),
                   colorscale=scale, cmin=-0.5, cmax=k - 0.5, showscale=False, hoverinfo="skip",
                   # hovering the sphere would draw its x, y and z contour lines through the mouse
                   contours={axis: {"highlight": False} for axis in "xyz"},
                   # no shading: plotly's light darkens the far side (ambient 0.85) and the pastel regions read as
                   # grey; lit by ambient alone, each region shows its colourscale colour
                   lighting={"ambient": 1.0, "diffuse": 0.0, "specular": 0.0, "fresnel": 0.0}, name="regions")]
    for name, other, style in [*((n, o, "dash") for n, o in comparison_losses(loss)),
                               ("decision boundary", loss, "solid")]:
        o = owner if other is loss else decision_regions(other, xyz.reshape(-1, 3) * radius).reshape(n_lat, n_lon).numpy()
        edge = (o != np.roll(o, 1, axis=1)) | (o != np.roll(o, 1, axis=0))
        edge[0, :] = o[0, :] != o[1, :]
        p = s[edge] * 1.01
        traces.append(dict(type="scatter3d", x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers", name=name,
                           marker={"size": 1.6 if style == "solid" else 1.2,
                                   "color": INK if style == "solid" else "#8A8A8A"}, hoverinfo="skip"))
    shown = features / np.linalg.norm(features, axis=1, keepdims=True).clip(min=1e-12) if project or loss.normalised \
        else features
    traces += feature_traces(shown, labels, class_names, seen, loss, scale=radius * 1.03 if (project or loss.normalised)
                             else 1.0, dim=3)
    w = torch.nn.functional.normalize(loss.weight.detach().double(), dim=1).numpy() * radius * W_LENGTH
    xs, ys, zs = [], [], []
    for v in w:
        xs += [0, v[0], None]
        ys += [0, v[1], None]
        zs += [0, v[2], None]
    traces.append(dict(type="scatter3d", x=xs, y=ys, z=zs, mode="lines", line={"color": INK, "width": 6},
                       name="W_j", hoverinfo="skip"))
    traces.append(dict(type="scatter3d", x=w[:, 0], y=w[:, 1], z=w[:, 2], mode="text", showlegend=False,
                       text=[f"W{seen[i]}" for i in range(len(w))], textfont={"size": 15, "color": INK},
                       hoverinfo="skip"))
    return traces, radius * SCENE_EXTENT


def figure_title(loss: MarginLoss, step: int, wrap: bool = False) -> str:
    """"A-Softmax (SphereFace) · m = 4 · λ = 33.8 · step 238": the loss and the values its drawn
    boundaries use, so a class reading the screen sees what the slider did. wrap: the values on a
    second line, for narrow panels."""
    # the loss's declared symbols (losses.HyperParam), its margin first, then λ, the schedule's value now
    titled = sorted((p for p in loss.params().values() if p.symbol), key=lambda p: p.name != "m")
    shown = [(p.symbol, getattr(loss, p.name)) for p in titled] + [("λ", getattr(loss, "lam", None))]
    parts = [f"{symbol} = {value:,.0f}" if value >= 100 else f"{symbol} = {value:.3g}"
             for symbol, value in shown if value is not None]
    values = " · ".join([*parts, f"step {step:,}"])
    return f"{loss.title}<br>{values}" if wrap else f"{loss.title} · {values}"


def feature_figure(loss: MarginLoss, features, labels, class_names, seen=None, project: bool = False,
                   radius: float | None = None, title: str = "", font_scale: float = 1.0) -> dict:
    """Features with the loss's decision regions: circle (2-D) or sphere (3-D); softmax in the plane.

    Returns a plotly.js figure as a plain dict (building plotly's validated objects costs 5× the
    geometry); `to_figure` wraps it for export. radius: the ring / sphere radius in feature units;
    pass the same value frame after frame so the axes stay still. Ignored (1.0) for `project`, and
    for normalised 3-D losses (always the unit sphere). font_scale: every text (title, legend, hover,
    W labels) this many times its size, for a room reading a projector.
    """
    features, labels = subsample(np.asarray(features, np.float32), np.asarray(labels))
    dim = features.shape[1]
    seen = list(range(loss.num_classes)) if seen is None else list(seen)
    if dim == 3 and (loss.normalised or project):
        radius = 1.0
    radius = radius or default_radius(features, project)
    if dim == 2 and not loss.normalised and not project:
        traces, extent = softmax_2d(loss, features, labels, class_names, seen, radius)
    elif dim == 2:
        traces, extent = figure_2d(loss, features, labels, class_names, seen, project, radius if not project else 1.0)
    else:
        traces, extent = figure_3d(loss, features, labels, class_names, seen, project, radius)
    for trace in traces:  # the W labels
        if "textfont" in trace:
            trace["textfont"] = {**trace["textfont"], "size": trace["textfont"]["size"] * font_scale}
    title_size = 22 * font_scale
    # below the modebar, which shows over the figure's top right while the mouse is on it; automargin makes
    # room for a title given more lines later (the Compare and Margin sweep pages do)
    layout = {
        "title": {"text": title, "x": 0.02, "xanchor": "left", "yref": "container", "y": 1, "yanchor": "top",
                  "pad": {"t": MODEBAR_BAND}, "automargin": True, "font": {"size": title_size}},
        "font": {**FONT, "size": FONT["size"] * font_scale}, "template": "plotly_white",
        "margin": {"l": 10, "r": 10, "t": round(MODEBAR_BAND + 1.4 * title_size) if title else 10, "b": 10},
        # each class is a legend group of its own, and plotly's default 10 px between groups would make 13 entries
        # taller than a small plot area
        "uirevision": "features", "legend": {"itemsizing": "constant", "font": {"size": 16 * font_scale},
                                             "tracegroupgap": 2},
        "hoverlabel": {"font": {"size": 16 * font_scale}}, "paper_bgcolor": "white", "plot_bgcolor": "white"}
    if dim == 2:
        # ticks "" said outright: replay.html and the animations hand this dict to plotly.js as it is, and
        # plotly.js gets the template's name only, not its settings
        axis = {"range": [-extent, extent], "showgrid": False, "zeroline": False, "showticklabels": False, "ticks": ""}
        layout["xaxis"] = axis
        layout["yaxis"] = {**axis, "scaleanchor": "x", "scaleratio": 1}
    else:
        # no spikes: hovering the sphere would draw three thin lines from the point under the mouse across the view
        axis = {"range": [-extent, extent], "showbackground": False, "showgrid": False, "zeroline": False,
                "showticklabels": False, "showspikes": False, "title": {"text": ""}}
        layout["scene"] = {"xaxis": axis, "yaxis": axis, "zaxis": axis, "aspectmode": "cube",
                           "camera": {"eye": dict(SCENE_EYE)}, "uirevision": "camera"}
    return {"data": traces, "layout": layout}


def confusion_figure(counts: np.ndarray, names: list[str], step: int) -> dict:
    """The confusion matrix of the test images as a heatmap (rows: true class, with its accuracy; columns:
    predicted), each cell's count written in it."""
    totals = counts.sum(axis=1)
    accuracy = np.diag(counts) / np.maximum(totals, 1)
    rows = [f"{name} ({a:.0%})" for name, a in zip(names, accuracy)]
    share = counts / np.maximum(totals, 1)[:, None]
    return {"data": [{"type": "heatmap", "z": share.tolist(), "x": list(names), "y": rows, "text": counts.tolist(),
                      "texttemplate": "%{text}", "colorscale": [[0, "#ffffff"], [1, PALETTE[1]]], "zmin": 0, "zmax": 1,
                      "showscale": False, "hovertemplate": "true %{y}, predicted %{x}: %{text}<extra></extra>"}],
            "layout": {"font": {**FONT, "size": 13}, "template": "plotly_white", "height": 330,
                       "title": {"text": f"Test images at step {step:,}: true class (accuracy) against predicted",
                                 "font": {"size": 14}},
                       "margin": {"l": 70, "r": 10, "t": 40, "b": 40},
                       "xaxis": {"title": {"text": "predicted"}, "type": "category"},
                       "yaxis": {"autorange": "reversed", "type": "category"}, "uirevision": "confusion"}}


def verification_figure(measured: dict, step: int) -> dict:
    """The open set (sphereface_viz.verification.open_set) in three panels: the cosines of same and of different
    pairs of the held-out digits' test images, the same of the trained digits', and both ROC curves (TAR against
    FAR, the dotted line FAR = 1%)."""
    sets = [(name, measured[name]) for name in ("unseen", "seen") if measured.get(name)]
    same, different, roc = PALETTE[3], PALETTE[0], {"unseen": PALETTE[1], "seen": PALETTE[6]}
    axis = {"showgrid": True, "gridcolor": "#eee", "zeroline": False}
    traces, layout = [], {}
    for k, (name, m) in enumerate(sets):
        x, y = ("x", "y") if k == 0 else (f"x{k + 1}", f"y{k + 1}")
        edges = np.asarray(m["hist_edges"])
        centres = ((edges[:-1] + edges[1:]) / 2).tolist()
        for label, colour, key in (("same digit", same, "hist_same"), ("different digits", different,
                                                                        "hist_different")):
            traces.append({"type": "bar", "x": centres, "y": m[key], "name": label, "marker": {"color": colour},
                           "opacity": 0.6, "xaxis": x, "yaxis": y, "showlegend": k == 0, "legendgroup": label,
                           "hovertemplate": f"{label}: %{{y:.1%}} of pairs at cos %{{x:.2f}}<extra></extra>"})
        layout["xaxis" + x[1:]] = {**axis, "domain": [k / 3 + 0.04 * (k > 0), (k + 1) / 3 - 0.04], "range": [-1, 1],
                                    "title": {"text": f"cos of two {name} digits' features"}}
        layout["yaxis" + y[1:]] = {**axis, "anchor": x, "tickformat": ".0%", "rangemode": "tozero",
                                    **({"title": {"text": "share of pairs"}} if k == 0 else {})}
    x, y = f"x{len(sets) + 1}", f"y{len(sets) + 1}"
    for name, m in sets:
        traces.append({"type": "scatter", "mode": "lines", "x": m["roc_far"], "y": m["roc_tar"], "xaxis": x, "yaxis": y,
                       "name": f"{name}: AUC {m['auc']:.3f}", "line": {"color": roc[name], "width": 3}})
    traces.append({"type": "scatter", "mode": "lines", "x": [0.01, 0.01], "y": [0, 1], "xaxis": x, "yaxis": y,
                   "line": {"color": INK, "dash": "dot", "width": 1}, "name": "FAR = 1%", "hoverinfo": "skip"})
    k = len(sets)
    layout["xaxis" + x[1:]] = {**axis, "domain": [k / 3 + 0.04, (k + 1) / 3 - 0.04], "range": [0, 1],
                                "title": {"text": "false accepts (FAR)"}, "tickformat": ".0%"}
    layout["yaxis" + y[1:]] = {**axis, "anchor": x, "range": [0, 1.02], "title": {"text": "true accepts (TAR)"},
                                "tickformat": ".0%"}
    layout.update({"font": {**FONT, "size": 13}, "template": "plotly_white", "uirevision": "verification",
                   "height": 300, "barmode": "overlay", "bargap": 0,
                   "title": {"text": f"Same digit or not, by the cosine of two test images' features (step {step:,})",
                             "font": {"size": 14}},
                   "margin": {"l": 55, "r": 10, "t": 60, "b": 45},
                   "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"}})
    return {"data": traces, "layout": layout}


def history_figure(steps, loss, accuracies: dict[str, list], angles: dict[str, list] | None = None) -> dict:
    """Loss, accuracies and (if given) compactness angles in degrees against the step: the small live
    charts under the features, one panel each."""
    panels = [("loss", {"loss": loss}), ("accuracy", accuracies)] + ([("degrees", angles)] if angles else [])
    width = 1 / len(panels)
    axis = {"showgrid": True, "gridcolor": "#eee", "zeroline": False}
    traces, layout, colour = [], {}, iter(PALETTE[1::2])
    for k, (title, series) in enumerate(panels):
        x, y = ("x", "y") if k == 0 else (f"x{k + 1}", f"y{k + 1}")
        for name, values in series.items():
            traces.append({"type": "scatter", "mode": "lines", "x": steps, "y": values, "name": name,
                           "line": {"color": INK if title == "loss" else next(colour)}, "xaxis": x, "yaxis": y})
        layout["xaxis" + x[1:]] = {**axis, "domain": [k * width + 0.04 * (k > 0), (k + 1) * width - 0.04],
                                    "title": {"text": "step"}}
        layout["yaxis" + y[1:]] = {**axis, "anchor": x, "title": {"text": title}, "rangemode": "tozero",
                                    **({"range": [0, 1.02], "tickformat": ".0%"} if title == "accuracy" else {})}
    layout.update({"font": {**FONT, "size": 13}, "template": "plotly_white", "uirevision": "history", "height": 200,
                   "margin": {"l": 50, "r": 10, "t": 34, "b": 35},
                   # above the panels, in the top margin: inside them it covered the first ticks
                   "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}})
    return {"data": traces, "layout": layout}


def to_figure(figure: dict):
    """A validated plotly Figure, for export (HTML, PNG)."""
    import plotly.graph_objects as go

    return go.Figure(figure)


def to_json(figure: dict) -> str:
    """plotly.js JSON without building validated objects (numpy arrays become typed arrays)."""
    import plotly.io as pio

    return pio.to_json(figure, validate=False)
