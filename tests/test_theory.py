"""Theory figures: measured gaps against the closed forms of docs/math.md, Properties 2 and 3 from the regions."""
import math

import numpy as np
import pytest

import torch

from sphereface_viz.geometry import GAP, decision_regions
from sphereface_viz.sphere import circle_points
from sphereface_viz.theory import (PROPERTY_2, TABLE1, best_spread, even_loss, largest_margin, margin_note,
                                   psi_figure, separation, separation_curves, spread, table1_markdown, target_figure,
                                   two_class_loss, two_vector_figure)
from sphereface_viz.losses import build_loss

PURE = {"lambda_base": 0.0, "lambda_min": 0.0}


@pytest.mark.parametrize("theta12", [60, 90, 120])
@pytest.mark.parametrize("m", [2, 3, 4])
def test_a_softmax_gap_is_m_minus_1_over_m_plus_1(theta12, m):
    _, measured, predicted = two_vector_figure("a_softmax", theta12, m=m, **PURE)
    assert predicted == pytest.approx((m - 1) / (m + 1) * theta12)
    assert measured == pytest.approx(predicted, abs=0.05)


def test_arcface_gap_is_m():
    _, measured, predicted = two_vector_figure("arcface", 70, m=0.4)
    assert measured == pytest.approx(math.degrees(0.4), abs=0.05) and predicted == pytest.approx(math.degrees(0.4))


def test_modified_softmax_has_no_gap_and_cosface_has_no_closed_form():
    assert two_vector_figure("modified_softmax", 80)[1] == pytest.approx(0, abs=0.05)
    assert two_vector_figure("cosface", 80, m=0.2)[2] is None


def test_property_2_crossing_at_two_plus_root_three():
    below = separation(two_class_loss("a_softmax", 90, m=PROPERTY_2 - 0.05, **PURE))
    above = separation(two_class_loss("a_softmax", 90, m=PROPERTY_2 + 0.05, **PURE))
    assert below[0] > below[1] and above[0] < above[1]
    # closed form: max intra = θ12 (1/(m+1) + 1/(m−1)), min inter = θ12 (m−1)/(m+1)
    m = 4
    intra, inter = separation(two_class_loss("a_softmax", 90, m=m, **PURE))
    assert intra == pytest.approx(90 * (1 / (m + 1) + 1 / (m - 1)), abs=0.2)
    assert inter == pytest.approx(90 * (m - 1) / (m + 1), abs=0.2)


def test_property_3_crossing_at_three_for_even_classes():
    curves = separation_curves((2.8, 3.2), 10)
    assert curves["many"][0] > 1 > curves["many"][1]
    intra, inter = separation(even_loss("a_softmax", 10, m=4, **PURE))
    assert intra == pytest.approx(2 * 36 / 5, abs=0.2) and inter == pytest.approx(3 / 5 * 36, abs=0.2)


def test_psi_figure_curves_are_decreasing_and_include_the_chosen_m():
    fig = psi_figure(2.5)
    names = [t["name"] for t in fig["data"]]
    assert names == ["m = 1", "m = 2", "m = 2.5 (chosen)", "m = 3", "m = 4"]
    for t in fig["data"]:
        assert np.all(np.diff(t["y"]) <= 1e-9)


def test_target_figure_uses_each_loss():
    losses = {"ArcFace": build_loss("arcface", 2, 2, m=0.5), "CosFace": build_loss("cosface", 2, 2, m=0.35)}
    fig = target_figure(losses)
    arc = next(t for t in fig["data"] if t["name"] == "ArcFace")
    k = int(np.argmin(np.abs(np.asarray(arc["x"]) - 60)))
    assert arc["y"][k] == pytest.approx(math.cos(math.radians(arc["x"][k]) + 0.5), abs=1e-6)
    cos = next(t for t in fig["data"] if t["name"] == "CosFace")
    assert cos["y"][k] == pytest.approx(math.cos(math.radians(cos["x"][k])) - 0.35, abs=1e-6)


def test_table1_has_every_loss():
    assert [row[0] for row in TABLE1] == ["Softmax", "Modified softmax", "A-Softmax", "CosFace", "ArcFace", "SV-X"]
    assert table1_markdown().count("\n") == len(TABLE1) + 1


# --- how far apart the classes can be, and which margins fit (docs/math.md) -------------------------

def tetrahedron() -> torch.Tensor:
    return torch.tensor([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=torch.float64) / math.sqrt(3)


def octahedron() -> torch.Tensor:
    eye = torch.eye(3, dtype=torch.float64)
    return torch.cat([eye, -eye])


def icosahedron() -> torch.Tensor:
    """(0, ±1, ±φ) and its cyclic permutations."""
    phi = (1 + math.sqrt(5)) / 2
    base = [(0, a, b * phi) for a in (1, -1) for b in (1, -1)]
    points = [p[k:] + p[:k] for p in base for k in range(3)]
    return torch.nn.functional.normalize(torch.tensor(points, dtype=torch.float64), dim=1)


def square_antiprism() -> torch.Tensor:
    """Two unit squares at heights ±z, one turned 45°; z² = 1/(1 + 2√2) makes every edge equal."""
    z = math.sqrt(1 / (1 + 2 * math.sqrt(2)))
    r = math.sqrt(1 - z * z)
    top = [(r * math.cos(k * math.pi / 2), r * math.sin(k * math.pi / 2), z) for k in range(4)]
    bottom = [(r * math.cos(k * math.pi / 2 + math.pi / 4), r * math.sin(k * math.pi / 2 + math.pi / 4), -z)
              for k in range(4)]
    return torch.tensor(top + bottom, dtype=torch.float64)


def triangle() -> torch.Tensor:
    return torch.cat([circle_points(3, torch.float64)[1], torch.zeros(3, 1, dtype=torch.float64)], dim=1)


# Constructions with their closed-form smallest angle: each is the Tammes optimum for its C.
POLYHEDRA = {
    2: (lambda: torch.tensor([[0.0, 0, 1], [0, 0, -1]], dtype=torch.float64), 180.0),
    3: (triangle, 120.0),
    4: (tetrahedron, math.degrees(math.acos(-1 / 3))),
    5: (lambda: octahedron()[:5], 90.0),
    6: (octahedron, 90.0),
    8: (square_antiprism, math.degrees(math.acos(1 / (1 + 2 * math.sqrt(2))))),
    11: (lambda: icosahedron()[:11], math.degrees(math.atan(2))),
    12: (icosahedron, math.degrees(math.atan(2))),
}


@pytest.mark.parametrize("classes", [2, 3, 5, 7, 10, 36])
def test_best_spread_on_the_circle_is_360_over_c_and_the_regular_polygon_reaches_it(classes):
    assert best_spread(classes, 2) == pytest.approx(360 / classes)
    assert spread(circle_points(classes, torch.float64)[1]) == pytest.approx(360 / classes, abs=1e-9)


@pytest.mark.parametrize("classes", sorted(POLYHEDRA))
def test_best_spread_on_the_sphere_matches_the_polyhedra(classes):
    build, closed_form = POLYHEDRA[classes]
    assert spread(build()) == pytest.approx(closed_form, abs=1e-9)
    assert best_spread(classes, 3) == pytest.approx(closed_form, abs=1e-6)


def test_named_closed_forms():
    assert best_spread(4, 3) == pytest.approx(109.4712, abs=1e-4)  # arccos(−1/3)
    assert best_spread(9, 3) == pytest.approx(math.degrees(math.acos(1 / 3)), abs=1e-6)
    assert best_spread(12, 3) == pytest.approx(63.4349, abs=1e-4)  # arctan 2
    # N = 10: cos δ = 0.40439432521625..., the root of a cubic (Danzer; OEIS A340918: δ = 1.15447983341927 rad)
    assert best_spread(10, 3) == pytest.approx(math.degrees(1.1544798334192707), abs=1e-6)
    assert best_spread(7, 3) == pytest.approx(math.degrees(math.acos(0.2101383127306031)), abs=1e-6)


def test_the_sphere_table_never_grows_and_the_sphere_beats_the_circle():
    values = [best_spread(c, 3) for c in range(2, 13)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert all(best_spread(c, 3) >= best_spread(c, 2) for c in range(2, 13))


def test_random_points_never_beat_the_table():
    rng = np.random.default_rng(0)
    for classes in range(3, 13):
        x = rng.normal(size=(2000, classes, 3))
        x /= np.linalg.norm(x, axis=2, keepdims=True)
        cos = x @ x.transpose(0, 2, 1)
        cos[:, np.arange(classes), np.arange(classes)] = -np.inf
        smallest = np.degrees(np.arccos(np.clip(cos.max(axis=(1, 2)), -1, 1)))
        assert smallest.max() < best_spread(classes, 3), classes


def test_an_optimiser_spreads_ten_points_close_to_the_table_but_not_past_it():
    """Pushing ten points apart (a soft maximum of their cosines, sharpened as it goes) gets within a
    tenth of a degree of the table's 66.1468°: the table is not too small either."""
    x = torch.randn(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).requires_grad_()
    opt = torch.optim.Adam([x], lr=0.01)
    i, j = torch.triu_indices(10, 10, 1)
    steps = 1500
    for k in range(steps):
        u = torch.nn.functional.normalize(x, dim=1)
        sharp = 20 + 300 * k / steps
        loss = torch.logsumexp(sharp * (u @ u.T)[i, j], 0) / sharp
        opt.zero_grad()
        loss.backward()
        opt.step()
    found = spread(x)
    assert 65.8 < found <= best_spread(10, 3) + 1e-9


@pytest.mark.parametrize("classes, dim", [(1, 2), (13, 3), (30, 3), (4, 4), (4, 1)])
def test_best_spread_beyond_what_it_knows_raises(classes, dim):
    with pytest.raises(ValueError):
        best_spread(classes, dim)


def test_spread_takes_arrays_and_tensors_unnormalised():
    w = np.array([[2.0, 0.0], [0.0, 5.0], [-1.0, -1.0]])
    assert spread(w) == pytest.approx(90.0)
    assert spread(torch.nn.Parameter(torch.tensor(w, dtype=torch.float32))) == pytest.approx(90.0, abs=1e-4)
    assert spread(np.array([[1.0, 0.0], [1.0, 1e-9]])) == pytest.approx(math.degrees(1e-9), rel=1e-6)
    with pytest.raises(ValueError):
        spread(np.ones((1, 3)))


def test_largest_margin_closed_forms():
    assert largest_margin("cosface", 10, 2) == pytest.approx(1 - math.cos(math.radians(36)))
    assert largest_margin("cosface", 10, 2) == pytest.approx(0.191, abs=5e-4)
    assert largest_margin("arcface", 10, 2) == pytest.approx(0.628, abs=5e-4)
    assert largest_margin("cosface", 4, 3) == pytest.approx(4 / 3, abs=1e-6)
    assert largest_margin("arcface", 4, 3) == pytest.approx(math.acos(-1 / 3), abs=1e-6)
    assert largest_margin("cosface", 10, 3) == pytest.approx(1 - 0.40439432521625, abs=1e-6)
    assert largest_margin("arcface", 10, 3) == pytest.approx(1.1544798334, abs=1e-6)
    for name in ("a_softmax", "softmax", "modified_softmax"):
        assert largest_margin(name, 10, 2) is None and largest_margin(name, 4, 3) is None
    assert largest_margin("a_softmax", 10, 2, m=8, lambda_base=0, lambda_min=0) is None
    # SV-Softmax: its ground truth's bound, whatever t
    for t in (1.0, 1.2, 4.0):
        assert largest_margin("sv_softmax", 10, 2, variant="am", t=t) == largest_margin("cosface", 10, 2)
        assert largest_margin("sv_softmax", 10, 2, variant="arc", t=t) == largest_margin("arcface", 10, 2)
        assert largest_margin("sv_softmax", 10, 2, variant="plain", t=t) is None
    assert largest_margin("sv_softmax", 10, 2) == largest_margin("cosface", 10, 2)  # default variant "am"


def test_largest_margin_checks_its_arguments():
    for bad in (lambda: largest_margin("nope", 10, 2), lambda: largest_margin("cosface", 10, 2, t=1.2),
                lambda: largest_margin("sv_softmax", 10, 2, variant="x"), lambda: largest_margin("arcface", 13, 3)):
        with pytest.raises(ValueError):
            bad()


def owners_of_own_directions(name: str, weight: torch.Tensor, m: float, **hparams) -> torch.Tensor:
    """decision_regions at the class vectors themselves, W as given (float64)."""
    classes, dim = weight.shape
    loss = build_loss(name, dim, classes, m=m, **hparams).double()
    with torch.no_grad():
        loss.weight.copy_(weight)
    return decision_regions(loss, weight)


STEP = 0.005  # "slightly": > 0.0014 rad, the angle ArcFace's clamp of cos θ to 1 − 10⁻⁶ leaves on W_i
BEST_W = [(2, 10, lambda: circle_points(10, torch.float64)[1]), (3, 4, tetrahedron), (3, 6, octahedron),
          (3, 12, icosahedron)]
BOUNDED = [("cosface", {}), ("arcface", {}), ("sv_softmax", {"variant": "am", "t": 1.4}),
           ("sv_softmax", {"variant": "arc", "t": 1.4})]


@pytest.mark.parametrize("name, hparams", BOUNDED, ids=lambda v: v if isinstance(v, str) else str(v))
@pytest.mark.parametrize("dim, classes, build", BEST_W, ids=["circle-10", "tetrahedron", "octahedron", "icosahedron"])
def test_at_the_bound_each_class_keeps_or_loses_its_own_direction(name, hparams, dim, classes, build):
    weight = build()
    assert spread(weight) == pytest.approx(best_spread(classes, dim), abs=1e-5)
    bound = largest_margin(name, classes, dim, **hparams)
    below = owners_of_own_directions(name, weight, bound - STEP, **hparams)
    above = owners_of_own_directions(name, weight, bound + STEP, **hparams)
    assert below.tolist() == list(range(classes))
    assert (above == GAP).all()


@pytest.mark.parametrize("m", [1.0, 4.0, 8.0])
def test_a_softmax_keeps_every_direction_at_any_m(m):
    """No bound: ψ(0) = 1 beats cos 36°, whatever m; the owned arc only narrows, to 2·36°/(m + 1)."""
    weight = circle_points(10, torch.float64)[1]
    owners = owners_of_own_directions("a_softmax", weight, m, lambda_base=0.0, lambda_min=0.0)
    assert owners.tolist() == list(range(10))


@pytest.mark.parametrize("name, hparams", [("a_softmax", {}), ("softmax", {}), ("modified_softmax", {}),
                                           ("sv_softmax", {"variant": "plain"})])
def test_margin_note_is_none_without_a_bound(name, hparams):
    assert margin_note(name, 4.0, 10, 2, **hparams) is None
    assert margin_note(name, 0.5, 4, 3, **hparams) is None


@pytest.mark.parametrize("name, dim", [("cosface", 2), ("arcface", 2), ("cosface", 3), ("arcface", 3)])
def test_margin_note_says_beyond_only_beyond_the_bound(name, dim):
    bound = largest_margin(name, 10, dim)
    for m in (0.0, 0.05, bound - 0.01, bound - 1e-4, bound, bound + 1e-4, bound + 0.01, bound + 0.3):
        note = margin_note(name, m, 10, dim)
        assert ("beyond" in note) == (m >= bound), (m, note)
        assert "10 classes" in note and ("circle" if dim == 2 else "sphere") in note
        assert ("rad" in note) == (name == "arcface")


def test_margin_note_examples():
    assert margin_note("cosface", 0.25, 10, 2).startswith(
        "m < 0.191 lets every one of 10 classes on a circle keep its own direction; m = 0.25 is beyond it")
    assert "m < 0.628 rad (36.0°)" in margin_note("arcface", 0.15, 10, 2)
    # a value that rounds to the bound gets enough digits to tell them apart
    assert "m < 0.19098" in margin_note("cosface", 0.191, 10, 2)
    assert "beyond" in margin_note("sv_softmax", 0.3, 10, 2, variant="am", t=1.2)
