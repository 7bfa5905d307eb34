"""Points on the circle and the sphere, checked against closed forms: roots of unity, the poles,
Archimedes' hat-box theorem, and the best known spread of ten points (Tammes' problem)."""
import math

import pytest
import torch

from sphereface_viz.sphere import circle_points, fibonacci_sphere, sphere_points, spread_directions


def min_angle(v: torch.Tensor) -> float:
    """The smallest angle between two of the unit vectors, in degrees."""
    cos = v.double() @ v.double().T
    cos.fill_diagonal_(-1.0)
    return math.degrees(math.acos(float(cos.max().clamp(-1, 1))))


def test_circle_points_are_the_nth_roots_of_unity_and_their_midpoints():
    phi, xy = circle_points(8, dtype=torch.float64)
    assert phi.tolist() == pytest.approx([k * math.pi / 4 for k in range(8)])
    assert xy[2].tolist() == pytest.approx([0.0, 1.0], abs=1e-12)  # e^{iπ/2}
    assert xy.sum(0).tolist() == pytest.approx([0.0, 0.0], abs=1e-12)  # roots of unity sum to zero
    half, _ = circle_points(8, offset=0.5)
    assert half[0].item() == pytest.approx(math.pi / 8)


def test_the_sphere_grid_runs_pole_to_pole_on_unit_vectors():
    grid = sphere_points(5, 7, dtype=torch.float64)
    assert grid.shape == (5, 7, 3)
    assert grid.norm(dim=-1).flatten().tolist() == pytest.approx([1.0] * 35)
    assert grid[0, :, 2].tolist() == pytest.approx([-1.0] * 7) and grid[-1, :, 2].tolist() == pytest.approx([1.0] * 7)
    assert grid[2, :, 2].abs().max().item() == pytest.approx(0.0, abs=1e-12)  # the middle row is the equator
    assert grid[2, 0].tolist() == pytest.approx([-1.0, 0.0, 0.0], abs=1e-12)  # longitude −π


def test_the_golden_spiral_covers_the_sphere_evenly():
    """Archimedes: the zone z > h holds a share (1 − h)/2 of the sphere's area, for every h."""
    v = fibonacci_sphere(2000, dtype=torch.float64)
    assert v.norm(dim=1).tolist() == pytest.approx([1.0] * 2000)
    for h in (-0.9, -0.3, 0.0, 0.5, 0.8):
        assert (v[:, 2] > h).double().mean().item() == pytest.approx((1 - h) / 2, abs=1e-3)
    assert v.mean(0).norm().item() < 1e-3


def test_initial_class_vectors_start_well_apart():
    assert min_angle(spread_directions(10, 2)) == pytest.approx(36.0)  # 360° / 10
    # ten points: the best possible smallest angle is 64.67° (Tammes); random ones are typically under 30°
    assert min_angle(spread_directions(10, 3)) > 0.85 * 64.67
    v = spread_directions(6, 5)
    assert v.shape == (6, 5) and v.norm(dim=1).tolist() == pytest.approx([1.0] * 6)
