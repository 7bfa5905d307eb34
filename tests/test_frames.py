"""sphereface_viz.frames: a frame's arrays come back as they were given, its regions are the loss's own
(decision_regions) and, without a margin, the nearest class vector's by hand, and it stays small."""
import json
import math

import numpy as np
import pytest
import torch

from sphereface_viz import frames
from sphereface_viz.geometry import GAP, decision_regions
from sphereface_viz.losses import build_loss
from sphereface_viz.sphere import sphere_cells

CLASSES = [str(c) for c in range(10)]


def clustered(loss, n=2000, spread=0.3, seed=0):
    """Features around each class's W, three units out, and their labels."""
    rng = np.random.default_rng(seed)
    w = torch.nn.functional.normalize(loss.weight.detach(), dim=1).numpy()
    labels = rng.integers(0, loss.num_classes, n)
    return (3 * w[labels] + spread * rng.normal(size=(n, w.shape[1]))).astype(np.float32), labels


@pytest.mark.parametrize("dtype", ["<f4", "|i1", "|u1", "<i2", "<u2", "<i4"])
def test_pack_and_unpack_round_trip_every_dtype_at_aligned_offsets(dtype):
    rng = np.random.default_rng(1)
    arrays = {"odd": rng.integers(0, 100, 3).astype("|u1"), "value": (rng.normal(size=(7, 3)) * 50).astype(dtype),
              "tail": np.arange(5, dtype="<f4")}
    blob, directory = frames.pack(arrays)
    back = frames.unpack({"arrays": directory}, blob)
    for name, array in arrays.items():
        assert back[name].dtype == array.dtype and np.array_equal(back[name], array)
        assert directory[name][2] % 8 == 0  # a typed array over the blob needs its element size's alignment


def test_a_wired_frame_reads_back_as_its_header_extras_and_blob_byte_for_byte():
    header, blob = frames.build(build_loss("arcface", 2, 10), np.eye(2, dtype=np.float32)[[0, 1, 0]],
                                np.array([0, 1, 0]), [str(c) for c in range(10)], list(range(10)), step=7)
    message = frames.wire(header, blob, id=12, pace=0.09, numbers=[{"label": "Step", "value": "7"}])
    length = int.from_bytes(message[:4], "little")  # as feature_view.js reads it: a little-endian uint32 first
    assert json.loads(message[4:4 + length]) == {"header": header, "id": 12, "pace": 0.09,
                                                  "numbers": [{"label": "Step", "value": "7"}]}
    assert message[4 + length:] == blob and frames.unwire(message) == (json.loads(message[4:4 + length]), blob)


def test_runs_code_a_raster_and_labels_of_expands_it():
    raster = np.array([[3, 3, GAP, GAP, 0], [0, 0, 0, 1, 1]])
    coded = frames.runs("owner", raster)
    assert coded["owner_values"].tolist() == [3, GAP, 0, 1] and coded["owner_lengths"].tolist() == [2, 2, 4, 2]
    assert np.array_equal(frames.labels_of(coded, "owner", raster.shape), raster)


@pytest.mark.parametrize("name, dim, kind", [("a_softmax", 2, "circle"), ("cosface", 3, "sphere"),
                                             ("softmax", 2, "plane"), ("sv_softmax", 3, "sphere")])
def test_a_frame_carries_the_features_labels_w_and_the_losss_own_regions(name, dim, kind):
    loss = build_loss(name, dim, 10)
    features, labels = clustered(loss)
    header, blob = frames.build(loss, features, labels, CLASSES, list(range(10)), step=7)
    arrays = frames.unpack(header, blob)
    assert header["kind"] == kind and header["step"] == 7 and header["title"].endswith("step 7")
    shown = features / np.linalg.norm(features, axis=1, keepdims=True) if kind == "sphere" and loss.normalised \
        else features
    assert np.abs(frames.points_of(header, arrays) - shown).max() <= header["scale"] / 32767
    assert np.array_equal(arrays["labels"], labels) and np.array_equal(arrays["weights"], loss.weight.detach().numpy())
    owner = frames.labels_of(arrays, "owner", header["grid"])
    samples = frames._samples(kind, header["radius"])
    assert np.array_equal(owner.ravel(), decision_regions(loss, samples).numpy())
    assert ("dashed" in header) == (name in ("a_softmax", "sv_softmax"))  # λ > 0 at step 0; t = 1.2 > 1


def test_without_a_margin_each_direction_belongs_to_its_nearest_class_vector():
    """Modified softmax: the owner of a direction is argmax_j cos(W_j, x), computed here by hand."""
    loss = build_loss("modified_softmax", 3, 10)
    header, blob = frames.build(loss, *clustered(loss), CLASSES, list(range(10)), step=0)
    owner = frames.labels_of(frames.unpack(header, blob), "owner", header["grid"])
    cells = sphere_cells(*header["grid"]).numpy()
    w = loss.weight.detach().numpy()
    nearest = np.argmax(cells @ (w / np.linalg.norm(w, axis=1, keepdims=True)).T, axis=-1)
    assert (owner == nearest).mean() > 0.999  # ties (measure zero) aside
    assert GAP not in owner


def test_cosface_leaves_gaps_only_with_a_margin_and_they_grow_with_it():
    loss = build_loss("cosface", 2, 10)
    features, labels = clustered(loss)
    gaps = []
    for m in (0.0, 0.05, 0.15):
        header, blob = frames.build(loss.with_params(m=m), features, labels, CLASSES, list(range(10)), step=0)
        owner = frames.labels_of(frames.unpack(header, blob), "owner", header["grid"])
        gaps.append((owner == GAP).mean())
    assert gaps[0] == 0 < gaps[1] < gaps[2]
    # W evenly spread, 36° apart: at δ from the bisector of two neighbours their cosines differ by 2 sin 18° sin δ,
    # so neither beats the other by m where |δ| < arcsin(m / (2 sin 18°))
    width = 2 * math.asin(0.15 / (2 * math.sin(math.radians(18))))
    assert gaps[2] == pytest.approx(10 * width / (2 * math.pi), abs=2 * 10 / frames.RING_SAMPLES)  # a sample per edge


def test_projected_features_lie_on_the_unit_circle():
    loss = build_loss("a_softmax", 2, 10)
    header, blob = frames.build(loss, *clustered(loss), CLASSES, list(range(10)), step=0, project=True)
    points = frames.points_of(header, frames.unpack(header, blob))
    assert header["radius"] == 1.0 and np.allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-4)


def test_a_frame_of_2000_points_in_3d_is_small_on_the_wire():
    """The whole message: header as JSON and the blob (the live view's budget is 50 kB a frame)."""
    loss = build_loss("a_softmax", 3, 10)
    header, blob = frames.build(loss, *clustered(loss), CLASSES, list(range(10)), step=0)
    assert len(json.dumps(header)) + len(blob) < 50_000


def test_more_points_than_drawn_are_subsampled_evenly():
    loss = build_loss("arcface", 2, 10)
    features, labels = clustered(loss, n=5000)
    header, blob = frames.build(loss, features, labels, CLASSES, list(range(10)), step=0)
    arrays = frames.unpack(header, blob)
    assert len(arrays["labels"]) == frames.MAX_POINTS
    keep = np.linspace(0, 4999, frames.MAX_POINTS).round().astype(int)
    assert np.array_equal(arrays["labels"], labels[keep])
