"""Figures contain what they claim: boundary rays at the closed-form angles, grey gaps only for margin
losses, the λ = 0 boundary for A-Softmax, the raised-logit curve for SV-Softmax, softmax's lines."""
import math

import numpy as np
import pytest
import torch

from sphereface_viz.geometry import GAP, owned_arcs
from sphereface_viz.losses import build_loss
from sphereface_viz.plots import GAP_COLOUR, PALETTE, feature_figure, figure_title, to_figure, to_json
from sphereface_viz.theory import two_class_loss

NAMES = [str(i) for i in range(10)]


def traces(fig, name=None, kind=None):
    return [t for t in fig["data"] if (name is None or t.get("name") == name) and (kind is None or t["type"] == kind)]


def feature_points(fig):
    """The feature markers of a 2-D figure (SVG scatter: cheaper than WebGL at these counts)."""
    return [t for t in traces(fig, kind="scatter") if t.get("mode") == "markers"]


def ray_angles(trace):
    """Angles (degrees, 0..360) of the far ends of rays drawn as [0, end, None] triples."""
    xs, ys = trace["x"], trace["y"]
    return sorted(round(math.degrees(math.atan2(ys[k + 1], xs[k + 1])) % 360, 1) for k in range(0, len(xs), 3))


def cloud(dim=2, n=300, seed=0):
    g = np.random.default_rng(seed)
    return g.normal(size=(n, dim)).astype(np.float32) * 4, g.integers(0, 10, n)


def test_a_softmax_two_class_rays_at_closed_form_angles():
    # W_0 at 0°, W_1 at 90°, m = 4, λ = 0: class 0 owns [−θ12/(m−1), θ12/(m+1)] = [−30°, 18°],
    # class 1 owns [72°, 120°]: four boundary rays.
    loss = two_class_loss("a_softmax", 90, m=4, lambda_base=0, lambda_min=0)
    fig = feature_figure(loss, *cloud(n=0), ["a", "b"], project=True)
    got = ray_angles(traces(fig, "decision boundary")[0])
    assert got == pytest.approx([18, 72, 120, 330], abs=0.2)
    assert not traces(fig, "pure A-Softmax (λ = 0)")  # λ is already 0: nothing extra to show


def test_a_softmax_during_annealing_also_draws_the_pure_boundary_dashed():
    loss = two_class_loss("a_softmax", 90, m=4, lambda_base=0, lambda_min=5)
    fig = feature_figure(loss, *cloud(n=0), ["a", "b"], project=True)
    pure = traces(fig, "pure A-Softmax (λ = 0)")
    assert len(pure) == 1 and pure[0]["line"]["dash"] == "dash"
    assert ray_angles(pure[0]) == pytest.approx([18, 72, 120, 330], abs=0.2)
    current = ray_angles(traces(fig, "decision boundary")[0])
    assert current[0] > 30  # λ = 5 shrinks the margin: class 0 reaches well past 18°


def test_arcface_rays():
    loss = two_class_loss("arcface", 90, m=0.3)
    got = ray_angles(traces(feature_figure(loss, *cloud(n=0), ["a", "b"], project=True), "decision boundary")[0])
    near = (90 - math.degrees(0.3)) / 2
    assert got[:2] == pytest.approx([near, 90 - near], abs=0.2)


def gap_arcs(fig):
    return [t for t in fig["data"] if t.get("line", {}).get("color") == GAP_COLOUR and t.get("mode") == "lines"]


@pytest.mark.parametrize("name,has_gap", [("modified_softmax", False), ("a_softmax", True), ("cosface", True),
                                          ("arcface", True), ("sv_softmax", True)])
def test_grey_gaps_only_for_margin_losses(name, has_gap):
    # A-Softmax at its pure λ = 0: at the start of annealing (λ = 1000) its gap is thinner than a sample
    loss = build_loss(name, 2, 10, **({"lambda_base": 0, "lambda_min": 0} if name == "a_softmax" else {}))
    assert bool(gap_arcs(feature_figure(loss, *cloud(), NAMES))) == has_gap


def test_all_margin_gaps_are_one_arc_trace_with_a_piece_per_gap():
    """The browser pays per trace, so the gaps share one; its pieces are the gaps geometry.owned_arcs finds."""
    loss = build_loss("cosface", 2, 10, m=0.1)
    arcs = gap_arcs(feature_figure(loss, *cloud(), NAMES, project=True))
    assert len(arcs) == 1
    pieces = np.split(np.asarray(arcs[0]["x"]), np.flatnonzero(np.isnan(arcs[0]["x"])))
    gaps = [(a, b) for a, b, who in owned_arcs(loss) if who == GAP]
    assert len(pieces) == len(gaps) == 10
    radius = np.hypot(arcs[0]["x"], arcs[0]["y"])
    assert np.isnan(radius).sum() == 9 and np.nanmax(radius) == pytest.approx(np.nanmin(radius))


def test_sv_softmax_draws_raised_logit_curve_dashed():
    loss = two_class_loss("sv_softmax", 90, t=1.4, m=0.2, variant="am")
    fig = feature_figure(loss, *cloud(n=0), ["a", "b"], project=True)
    raised = traces(fig, "raised logit t·cos θ + t − 1")
    assert len(raised) == 1 and raised[0]["line"]["dash"] == "dash"
    loss.t = 1.0
    assert not traces(feature_figure(loss, *cloud(n=0), ["a", "b"], project=True), "raised logit t·cos θ + t − 1")


def test_one_legend_entry_per_class_with_the_palette():
    torch.manual_seed(0)
    fig = feature_figure(build_loss("arcface", 2, 10), *cloud(), NAMES)
    points = feature_points(fig)
    assert [t["name"] for t in points] == NAMES
    assert [t["marker"]["color"] for t in points] == list(PALETTE)
    assert "angle to W" in points[0]["hovertemplate"]


def test_softmax_region_map_and_real_boundary_lines():
    torch.manual_seed(1)
    loss = build_loss("softmax", 2, 10)
    with torch.no_grad():
        loss.bias.normal_()
    fig = feature_figure(loss, *cloud(), NAMES, radius=6.0)
    assert len(traces(fig, kind="heatmap")) == 1
    line = traces(fig, "decision boundary")[0]
    pts = np.array([(x, y) for x, y in zip(line["x"], line["y"]) if x is not None], dtype=np.float64)
    assert len(pts) > 50
    w, b = loss.weight.detach().double().numpy(), loss.bias.detach().double().numpy()
    logits = pts @ w.T + b
    top2 = np.sort(logits, axis=1)[:, -2:]
    assert np.allclose(top2[:, 0], top2[:, 1], atol=1e-3 * np.abs(logits).max())  # on a tie of the two best


def test_3d_sphere_with_surface_boundaries_features_and_arrows():
    torch.manual_seed(0)
    fig = feature_figure(build_loss("a_softmax", 3, 10), *cloud(dim=3), NAMES)
    assert len(traces(fig, kind="surface")) == 1
    assert traces(fig, "decision boundary") and traces(fig, "pure A-Softmax (λ = 0)")
    points = traces(fig, kind="scatter3d")
    feats = [t for t in points if t.get("name") in NAMES]
    assert len(feats) == 10
    radii = np.linalg.norm(np.stack([feats[0]["x"], feats[0]["y"], feats[0]["z"]], 1), axis=1)
    assert np.allclose(radii, 1.03, atol=1e-4)  # projected just above the unit sphere
    assert fig["layout"]["scene"]["aspectmode"] == "cube" and fig["layout"]["scene"]["uirevision"]


def test_fixed_radius_keeps_axes_still():
    torch.manual_seed(0)
    loss = build_loss("cosface", 2, 10)
    a = feature_figure(loss, *cloud(seed=1), NAMES, radius=5.0)
    b = feature_figure(loss, *cloud(seed=2), NAMES, radius=5.0)
    assert a["layout"]["xaxis"]["range"] == b["layout"]["xaxis"]["range"]


def test_projected_points_lie_clear_inside_the_class_ring():
    """On the unit circle, a point under the 14-px band of its own class colour is invisible."""
    fig = feature_figure(build_loss("arcface", 2, 10), *cloud(), NAMES, project=True)
    radii = np.hypot(np.concatenate([t["x"] for t in feature_points(fig)]),
                     np.concatenate([t["y"] for t in feature_points(fig)]))
    assert radii == pytest.approx(1.0, abs=1e-5)
    bands = [t for t in traces(fig, kind="scatter") if t.get("mode") == "lines" and t["line"].get("width") == 14]
    ring = min(np.nanmin(np.hypot(t["x"], t["y"])) for t in bands)  # NaN: breaks between the gap arcs
    assert ring >= 1.1
    assert all(t["marker"]["line"]["color"] == "white" for t in feature_points(fig))


def test_subsampled_to_2000_points_and_serialisable():
    torch.manual_seed(0)
    features, labels = cloud(n=5000)
    fig = feature_figure(build_loss("cosface", 2, 10), features, labels, NAMES)
    assert sum(len(t["x"]) for t in feature_points(fig)) == 2000
    assert to_json(fig).startswith("{") and to_figure(fig).data


def test_figure_title_names_the_values_the_boundaries_use():
    a = build_loss("a_softmax", 2, 10, m=1.5)
    assert figure_title(a, 1234) == "A-Softmax (SphereFace) · m = 1.5 · λ = 1,000 · step 1,234"
    a.lambda_base, a.lambda_min = 0.0, 5.0
    assert figure_title(a, 7) == "A-Softmax (SphereFace) · m = 1.5 · λ = 5 · step 7"
    assert figure_title(build_loss("sv_softmax", 3, 10, s=8.0, m=0.25, t=1.4), 0) == \
        "SV-Softmax · m = 0.25 · s = 8 · t = 1.4 · step 0"
    assert figure_title(build_loss("softmax", 2, 10), 3) == "Softmax · step 3"
    assert figure_title(build_loss("arcface", 2, 10), 9, wrap=True) == "ArcFace<br>m = 0.15 · s = 16 · step 9"


def test_a_parameter_declared_with_a_symbol_is_in_the_title_without_a_table_to_edit():
    from sphereface_viz.losses import HyperParam

    class Shifted(type(build_loss("cosface", 2, 10))):
        q = HyperParam(0.5, 0.0, 1.0, symbol="q")

    loss = Shifted(2, 10)
    loss.q = 0.25
    assert figure_title(loss, 4) == "CosFace / AM-Softmax · m = 0.1 · s = 16 · q = 0.25 · step 4"


def test_projector_type_is_larger_everywhere():
    """font_scale enlarges every text a room reads: title, legend, hover, W labels, in 2-D and 3-D."""
    torch.manual_seed(0)
    for dim in (2, 3):
        loss = build_loss("arcface", dim, 10)
        normal, large = (feature_figure(loss, *cloud(dim=dim), NAMES, title="ArcFace · step 1", font_scale=scale)
                         for scale in (1.0, 1.3))
        for path in (("title", "font"), ("legend", "font"), ("hoverlabel", "font"), ("font",)):
            a, b = normal["layout"], large["layout"]
            for key in path:
                a, b = a[key], b[key]
            assert b["size"] > a["size"], path
        labels = [[t["textfont"]["size"] for t in fig["data"] if "W0" in list(t.get("text") or [])]
                  for fig in (normal, large)]
        assert labels[0] and all(b > a for a, b in zip(*labels))


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("scale", [1.0, 1.3])
def test_the_title_starts_below_the_modebar(dim, scale):
    """plotly.js draws its modebar 2 px below the figure's top with 22-px buttons (.modebar, .modebar-btn in its
    CSS), ending 25 px down in Chromium, and shows it while the mouse is on the chart: a title hanging from
    the top must start below that, and the top margin must hold it above the plot."""
    torch.manual_seed(0)
    fig = feature_figure(build_loss("a_softmax", dim, 10), *cloud(dim=dim), NAMES, font_scale=scale,
                         title="A-Softmax (SphereFace) · m = 4 · λ = 1,000 · step 12,345")
    title, layout = fig["layout"]["title"], fig["layout"]
    assert (title["yref"], title["y"], title["yanchor"]) == ("container", 1, "top")
    assert title["pad"]["t"] >= 25
    assert layout["margin"]["t"] >= title["pad"]["t"] + 1.2 * title["font"]["size"]


@pytest.mark.parametrize("name,radius", [("arcface", None), ("softmax", 6.0)])
def test_w_labels_stay_in_view_whichever_way_the_sphere_is_turned(name, radius):
    """plotly.js maps a cube scene's axis range onto [−0.5, 0.5] and looks at it from the camera's eye with a
    45° vertical field of view (gl-plot3d: fovy π/4, the plot area's width / height as aspect). A point at
    distance ρ from the centre is seen at most asin(ρ / |eye|) off the view's axis, sideways at the worst
    turn; there it must land inside a plot area 0.72 as wide as high (the Train page's is 0.8 at 1400 px),
    with 5% to spare for the label's own half-width."""
    torch.manual_seed(0)
    fig = feature_figure(build_loss(name, 3, 10), *cloud(dim=3), NAMES, radius=radius)
    scene = fig["layout"]["scene"]
    low, high = scene["xaxis"]["range"]
    assert scene["aspectmode"] == "cube" and scene["yaxis"]["range"] == scene["zaxis"]["range"] == [low, high]
    labels = next(t for t in fig["data"] if t.get("mode") == "text")
    points = np.stack([labels["x"], labels["y"], labels["z"]], 1)
    assert len(points) == 10 and (points > low).all() and (points < high).all()
    rho = np.linalg.norm((points - (low + high) / 2) / (high - low), axis=1).max()
    eye = np.linalg.norm([scene["camera"]["eye"][k] for k in "xyz"])
    sideways = math.tan(math.asin(rho / eye)) / (math.tan(math.pi / 8) * 0.72)
    assert sideways <= 0.95


def test_3d_regions_show_their_own_colours():
    """plotly.js lights a surface point with min(ambient + diffuse·cos, 1) of its colour plus specular and
    fresnel highlights: ambient 1 with neither highlight leaves each region exactly its colourscale colour,
    not greyed where the light falls away."""
    fig = feature_figure(build_loss("cosface", 3, 10), *cloud(dim=3), NAMES)
    light = traces(fig, kind="surface")[0]["lighting"]
    assert light["ambient"] >= 1 and light["specular"] == 0 and light["fresnel"] == 0
