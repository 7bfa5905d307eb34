"""One frame of the live view as plain arrays, for the browser to draw (pages/ui/feature_view.js).

A frame is a small JSON-able header and one binary blob of little-endian arrays, listed in the header
by name, dtype, shape and byte offset. The browser does no loss math: every region label in a frame
comes from `geometry.decision_regions`, so from the loss's own logits, and the title from
`plots.figure_title`. Three kinds of picture:

- "circle": a normalised loss (or projected features) in 2-D. `owner[k]` is the class claiming the
  direction at angle (k + ½)·360°/RING_SAMPLES, GAP (−1) where none does with its margin.
- "sphere": 3-D. `owner[i, j]` labels the cell centre at latitude −90° + (i + ½)·180°/n_lat and
  longitude −180° + (j + ½)·360°/n_lon (`sphere.sphere_cells`).
- "plane": softmax with its bias in 2-D, whose regions live in the plane: `owner[i, j]` labels the point
  (x_j, y_i) of a PLANE_CELLS² grid over [−radius, radius]², and `lines` holds the real boundary segments
  (x, y rows, NaN rows between pieces).

`dashed` (optional) labels the same samples under the comparison loss of `plots.comparison_losses`
(A-Softmax at λ = 0, SV-Softmax's raised logits), drawn as a dashed boundary.
"""
from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import torch

from .geometry import decision_regions
from .plots import (GAP_COLOUR, INK, MAX_POINTS, PALETTE, PLANE_CELLS, RING_SAMPLES, W_LENGTH,  # noqa: F401
                    comparison_losses, default_radius, figure_title, softmax_lines, subsample, touching_pairs)
from .sphere import circle_points, sphere_cells

SPHERE_GRID = (90, 180)   # 2° cells; the browser smooths their edges when it paints the sphere
ORDER = "<"               # little-endian, as every browser's typed arrays
QUANT = 32767             # features travel as int16 of ±scale: half the bytes of float32, exact to a pixel


def _samples(kind: str, radius: float) -> torch.Tensor:
    if kind == "circle":
        return circle_points(RING_SAMPLES, offset=0.5)[1]
    if kind == "sphere":
        return sphere_cells(*SPHERE_GRID).reshape(-1, 3) * radius
    grid = torch.linspace(-radius, radius, PLANE_CELLS)
    gy, gx = torch.meshgrid(grid, grid, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def on_unit(loss, dim: int, project: bool) -> bool:
    """Every point drawn at length 1: projected, or on the sphere of a normalised 3-D loss (no radius)."""
    return project or (dim == 3 and loss.normalised)


def kind_of(loss, dim: int, project: bool) -> str:
    if dim == 3:
        return "sphere"
    return "circle" if loss.normalised or project else "plane"


def build(loss, features, labels, class_names, seen, *, step: int, project: bool = False,
          radius: float | None = None, wrap: bool = False, marks=None, indexed: bool = False) -> tuple[dict, bytes]:
    """The frame of `loss` (its W, bias and hyper-parameters) with these features (labels: the dataset's
    classes; `seen`: those the loss was trained on, in the loss's class order). radius: the ring's radius
    in feature units, kept from frame to frame so the picture stays still (ignored when the features are
    projected, and on the unit sphere of a normalised 3-D loss). marks: a few more features, drawn large
    over everything (a digit a student drew). indexed: the features are the test images in `sprite_sheet`'s
    order (no more than MAX_POINTS of them), so the browser can show each dot's image."""
    features, labels = subsample(np.asarray(features, np.float32), np.asarray(labels))
    dim = features.shape[1]
    kind = kind_of(loss, dim, project)
    unit = on_unit(loss, dim, project)
    radius = 1.0 if unit else (radius or default_radius(features, project))
    marks = np.zeros((0, dim), np.float32) if marks is None else np.asarray(marks, np.float32).reshape(-1, dim)
    if unit:  # every point on the circle / sphere: only its direction is left
        features = features / np.linalg.norm(features, axis=1, keepdims=True).clip(min=1e-12)
        marks = marks / np.linalg.norm(marks, axis=1, keepdims=True).clip(min=1e-12)
    samples = _samples(kind, radius)
    grid = {"circle": (RING_SAMPLES,), "sphere": SPHERE_GRID, "plane": (PLANE_CELLS, PLANE_CELLS)}[kind]
    owner = decision_regions(loss, samples).numpy()
    scale = float(np.abs(features).max(initial=0.0)) or 1.0
    arrays = {"points": np.round(features / scale * QUANT).astype(np.int16), "labels": labels.astype(np.uint8),
              "weights": loss.weight.detach().float().numpy(), "marks": marks, **runs("owner", owner)}
    header = {"kind": kind, "dim": dim, "step": int(step), "title": figure_title(loss, step, wrap=wrap),
              "radius": radius, "scale": scale, "grid": list(grid), "project": bool(project),
              "classes": [str(c) for c in class_names], "seen": [int(c) for c in seen], "palette": list(PALETTE),
              "gap": GAP_COLOUR, "ink": INK, "w_length": W_LENGTH, "indexed": bool(indexed)}
    compared = comparison_losses(loss)
    if compared:
        header["dashed"] = compared[0][0]
        arrays.update(runs("dashed", decision_regions(compared[0][1], samples).numpy()))
    if kind == "plane":
        xs, ys = softmax_lines(loss, radius, touching_pairs(owner.reshape(grid)))
        lines = np.array([xs, ys], dtype=np.float64).T.astype(np.float32)  # None → NaN
        gap = np.isnan(lines[:, 0])
        arrays["lines"] = lines[~(gap & np.r_[True, gap[:-1]])]  # one NaN row between two pieces
    blob, header["arrays"] = pack(arrays)
    return header, blob


def sprite_sheet(images) -> dict:
    """The test images as one grayscale PNG, `cols` to a row in their order, each stretched to 0-255 on its
    own: hovering a dot of a frame of test images shows the digit it came from. Sent once per session."""
    import imageio.v3 as iio

    images = np.asarray(images, np.float32).reshape(len(images), *np.shape(images)[-2:])
    low, high = images.min(axis=(1, 2), keepdims=True), images.max(axis=(1, 2), keepdims=True)
    cells = np.round(255 * (images - low) / np.maximum(high - low, 1e-6)).astype(np.uint8)
    n, h, w = cells.shape
    cols = max(1, int(np.ceil(np.sqrt(n))))
    sheet = np.zeros((int(np.ceil(n / cols)) * h, cols * w), np.uint8)
    for k, cell in enumerate(cells):
        sheet[k // cols * h:(k // cols + 1) * h, k % cols * w:(k % cols + 1) * w] = cell
    png = iio.imwrite("<bytes>", sheet, extension=".png")
    return {"key": hashlib.blake2b(png, digest_size=8).hexdigest(), "png": png, "cell": [h, w], "cols": cols}


def runs(name: str, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Run-length code of a label raster in reading order: `name`_values (int8) and `name`_lengths (uint16).
    Regions are a few large patches: 16,200 sphere cells are a few hundred runs."""
    flat = np.asarray(labels).ravel()
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    lengths = np.diff(np.r_[starts, flat.size])
    assert lengths.max(initial=0) < 2**16, "a run longer than uint16 holds"
    return {name + "_values": flat[starts].astype(np.int8), name + "_lengths": lengths.astype(np.uint16)}


def labels_of(arrays: dict[str, np.ndarray], name: str, grid) -> np.ndarray:
    """A label raster back from its runs."""
    return np.repeat(arrays[name + "_values"], arrays[name + "_lengths"]).reshape(grid)


def points_of(header: dict, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The features as drawn, back from int16 (at most scale / 65,534 off: far below a pixel)."""
    return arrays["points"].astype(np.float32) * (header["scale"] / QUANT)


def pack(arrays: dict[str, np.ndarray]) -> tuple[bytes, dict]:
    """The arrays end to end, each starting at a multiple of 8 bytes (a typed array's view must be aligned
    to its element size), and their directory."""
    parts, directory, offset = [], {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(ORDER))
        pad = -offset % 8
        parts += [b"\0" * pad, array.tobytes()]
        offset += pad
        directory[name] = [array.dtype.str.lstrip("<|"), list(array.shape), offset]
        offset += array.nbytes
    return b"".join(parts), directory


def unpack(header: dict, blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of a frame, as the browser reads them."""
    return {name: np.frombuffer(blob, np.dtype(ORDER + dtype), int(np.prod(shape)), offset).reshape(shape)
            for name, (dtype, shape, offset) in header["arrays"].items()}


def wire(header: dict, blob: bytes, **extra) -> bytes:
    """One frame as one message for the browser to fetch (pages/ui/feed_route.py): the byte length of a JSON
    object {"header": header, **extra} as a little-endian uint32, that JSON, then the blob."""
    text = json.dumps({"header": header, **extra}, separators=(",", ":")).encode()
    return struct.pack("<I", len(text)) + text + blob


def unwire(message: bytes) -> tuple[dict, bytes]:
    """`wire`'s JSON object and blob, as the browser reads them."""
    (length,) = struct.unpack_from("<I", message)
    return json.loads(message[4:4 + length]), message[4 + length:]
