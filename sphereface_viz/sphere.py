"""Points on the circle and the sphere: sampling grids for the geometry, spread initial class vectors."""
from __future__ import annotations

import math

import torch


def circle_points(n: int, dtype=torch.float32, offset: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """n angles (k + offset)·2π/n in [0, 2π) and the unit vectors at them."""
    phi = (torch.arange(n, dtype=torch.float64) + offset) * (2 * math.pi / n)
    return phi, torch.stack([phi.cos(), phi.sin()], dim=1).to(dtype)


def sphere_points(n_lat: int, n_lon: int, dtype=torch.float32) -> torch.Tensor:
    """A latitude/longitude grid on the unit sphere, shape (n_lat, n_lon, 3), poles included."""
    lat = torch.linspace(-math.pi / 2, math.pi / 2, n_lat, dtype=torch.float64)[:, None]
    lon = torch.linspace(-math.pi, math.pi, n_lon, dtype=torch.float64)[None, :]
    xyz = torch.stack(torch.broadcast_tensors(lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()), dim=-1)
    return xyz.to(dtype)


def sphere_cells(n_lat: int, n_lon: int, dtype=torch.float32) -> torch.Tensor:
    """The centres of an n_lat × n_lon latitude/longitude raster of the sphere, shape (n_lat, n_lon, 3):
    latitude −90° + (i + ½)·180°/n_lat, longitude −180° + (j + ½)·360°/n_lon. A browser finds the cell
    of any direction from its latitude and longitude alone."""
    lat = ((torch.arange(n_lat, dtype=torch.float64) + 0.5) * (math.pi / n_lat) - math.pi / 2)[:, None]
    lon = ((torch.arange(n_lon, dtype=torch.float64) + 0.5) * (2 * math.pi / n_lon) - math.pi)[None, :]
    xyz = torch.stack(torch.broadcast_tensors(lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()), dim=-1)
    return xyz.to(dtype)


def fibonacci_sphere(n: int, dtype=torch.float32) -> torch.Tensor:
    """n nearly evenly spread unit vectors (golden-angle spiral): for area fractions on the sphere."""
    i = torch.arange(n, dtype=torch.float64) + 0.5
    z = 1 - 2 * i / n
    phi = math.pi * (1 + 5 ** 0.5) * i
    r = (1 - z * z).sqrt()
    return torch.stack([r * phi.cos(), r * phi.sin(), z], dim=1).to(dtype)


def spread_directions(n: int, dim: int) -> torch.Tensor:
    """n unit vectors spread out: evenly on the circle (dim 2), a golden spiral on the sphere (dim 3),
    random otherwise. Class vectors that start apart cannot trap the features between them; from a
    random start, 2-D fixed-scale losses often froze with classes out of order (docs/recipes.md)."""
    if dim == 2:
        return circle_points(n)[1]
    if dim == 3:
        return fibonacci_sphere(n)
    return torch.nn.functional.normalize(torch.randn(n, dim), dim=1)
