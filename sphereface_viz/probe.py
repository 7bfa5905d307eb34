"""Where does a drawn digit land? A student's drawing, prepared as the dataset's own images were made, sent
through the network being trained, and read off against every class: its angle to W_j, the plain logit f_j
and the logit it would get with the margin if its label were j (pages/probe.py draws it).

Nothing here touches training: the feature is computed with copies of the network and the loss, taken
between two steps under the player's lock, so a probe never moves a weight, a batch-norm statistic or
A-Softmax's λ counter.

How each dataset was made, and so how a drawing (a grayscale array, ink 1 on background 0, any size) is
prepared (`prepare`):

- MNIST (and KMNIST, which followed it): the ink's bounding box scaled to fit a 20×20 box keeping its aspect
  ratio, with area averaging (the grey levels of anti-aliasing), then placed in 28×28 so that its centre of
  mass sits at the field's centre (LeCun et al.; measured on MNIST's test set: the mean centre of mass is
  pixel (14.0, 14.0), each off by an integer shift's rounding).
- Fashion-MNIST: the longest edge scaled to 28, the other centred (its makers' recipe).
- scikit-learn's digits (UCI optdigits): 32×32 black-and-white bitmaps cut into 4×4 blocks, each block's
  value the number of ink pixels in it (0-16). Every shipped image fills the height; its width is 6 of 8 blocks
  for nearly every 0, 7 or 8 for only a few images, narrower for most 1s. So: the ink's box scaled to 32 high
  and min(24, aspect·32) wide, centred, then area-averaged into 8×8 blocks ×16. No cut into ink and background
  at 0.5: a drawing's strokes are ink but for their anti-aliased edges, so drawn digits came out the same, and
  the shipped test images drawn back through the recipe lost ~9 points of accuracy with the cut (98% → 89% on
  a trained A-Softmax network) against 1-2 without.

Then the values as data.py gives them to the network: /16 (digits) or as 0..1 (the MNIST family's /255),
standardised with the training set's mean and std (`standardisation`).
"""
from __future__ import annotations

import copy
import math
import weakref
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F

from .data import Dataset

INK = 1e-3            # a value above this is ink (MNIST's faintest grey is 1/255)
MNIST_BOX, MNIST_SIZE, MNIST_CENTRE = 20, 28, 14.0
DIGITS_BITMAP, DIGITS_BLOCK, DIGITS_WIDTH = 32, 4, 24
RECIPES = {"mnist": "mnist", "kmnist": "mnist", "fashion_mnist": "fill", "digits": "optdigits"}

# What each loss's two logits are, for people (the table's column help; docs/math.md, "The losses").
FORMULAS = {
    "softmax": ("W_j·x + b_j", "W_j·x + b_j (no margin)"),
    "modified_softmax": ("‖x‖ cos θ_j", "‖x‖ cos θ_j (no margin)"),
    "a_softmax": ("‖x‖ cos θ_j", "‖x‖ (λ cos θ_j + ψ(θ_j)) / (1 + λ), ψ(θ) = (−1)^k cos(mθ) − 2k"),
    "cosface": ("s cos θ_j", "s (cos θ_j − m)"),
    "arcface": ("s cos θ_j", "s cos(θ_j + m)"),
    "sv_softmax": ("s cos θ_j", "s g(θ_j): g = cos θ, cos θ − m or cos(θ + m)"),
}


class EmptyDrawing(ValueError):
    """A drawing with no ink: nothing to prepare."""


# --- resampling -------------------------------------------------------------------------------------

def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The (n_out, n_in) matrix of area averaging along one axis: output cell i covers input coordinates
    [i·n_in/n_out, (i+1)·n_in/n_out), and takes each input cell k with the weight of their overlap divided by
    its own width, so every row sums to 1. It shrinks and enlarges alike (enlarging repeats values)."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi, k = edges[:-1, None], edges[1:, None], np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, k + 1) - np.maximum(lo, k), 0.0, None)
    return overlap / (hi - lo)


def resample(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """An image area-averaged to rows × cols: A_rows · image · A_colsᵀ."""
    return area_matrix(image.shape[0], rows) @ image @ area_matrix(image.shape[1], cols).T


def ink_box(image: np.ndarray) -> np.ndarray:
    """The drawing cropped to its ink's bounding box (every pixel above INK inside it)."""
    rows, cols = np.flatnonzero((image > INK).any(1)), np.flatnonzero((image > INK).any(0))
    if not len(rows):
        raise EmptyDrawing("the drawing has no ink")
    return image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def paste(patch: np.ndarray, size: int, top: int, left: int) -> np.ndarray:
    """patch placed at (top, left) of a size × size background of 0; what falls outside is cut off."""
    out = np.zeros((size, size), patch.dtype)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + patch.shape[0], size), min(left + patch.shape[1], size)
    if r1 > r0 and c1 > c0:
        out[r0:r1, c0:c1] = patch[r0 - top:r1 - top, c0 - left:c1 - left]
    return out


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, in pixel indices: Σ v·(i, j) / Σ v."""
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return float((image * rows).sum() / total), float((image * cols).sum() / total)


def fitted(image: np.ndarray, box_rows: float, box_cols: float) -> np.ndarray:
    """The ink's box scaled by one factor to fit box_rows × box_cols (aspect kept), area-averaged."""
    box = ink_box(image)
    factor = min(box_rows / box.shape[0], box_cols / box.shape[1])
    rows, cols = (max(1, round(n * factor)) for n in box.shape)
    return resample(box, rows, cols)


# --- the datasets' recipes ----------------------------------------------------------------------------

def as_mnist(image: np.ndarray) -> np.ndarray:
    """MNIST's recipe: fit in 20×20 (aspect kept), centre of mass at pixel (14, 14) of 28×28 (integer shift)."""
    patch = fitted(image, MNIST_BOX, MNIST_BOX)
    cy, cx = centre_of_mass(patch)
    return paste(patch, MNIST_SIZE, math.floor(MNIST_CENTRE - cy + 0.5), math.floor(MNIST_CENTRE - cx + 0.5))


def as_fashion(image: np.ndarray) -> np.ndarray:
    """Fashion-MNIST's recipe: the longest edge scaled to 28, the box centred."""
    patch = fitted(image, MNIST_SIZE, MNIST_SIZE)
    return paste(patch, MNIST_SIZE, (MNIST_SIZE - patch.shape[0]) // 2, (MNIST_SIZE - patch.shape[1]) // 2)


def as_optdigits(image: np.ndarray) -> np.ndarray:
    """optdigits' recipe (scikit-learn's digits): a 32×32 bitmap, the ink's box scaled to 32 high and
    min(24, aspect·32) wide, centred; then the ink in each 4×4 block, area-averaged ×16: 8×8 values 0..16."""
    box = ink_box(image)
    cols = max(1, min(DIGITS_WIDTH, round(box.shape[1] * DIGITS_BITMAP / box.shape[0])))
    bitmap = paste(resample(box, DIGITS_BITMAP, cols), DIGITS_BITMAP, 0, (DIGITS_BITMAP - cols) // 2)
    blocks = DIGITS_BITMAP // DIGITS_BLOCK
    return resample(bitmap, blocks, blocks) * DIGITS_BLOCK ** 2  # a block's mean ink ×16: its count of ink pixels


def recipe(dataset: str) -> str:
    """How a drawing is made into one of the dataset's images, for people."""
    return {"mnist": "fitted in a 20×20 box and centred in 28×28 by its centre of mass, as MNIST's digits were",
            "fill": "fitted in 28×28 by its longest edge and centred, as Fashion-MNIST's pictures were",
            "optdigits": "stretched to fill the height of a 32×32 bitmap and counted in 8×8 blocks of 4×4 pixels "
                         "(0-16), as the 8×8 digits were"}[RECIPES.get(dataset, "mnist")]


def raw(drawing, dataset: str) -> np.ndarray:
    """A drawing (2-D, ink ≈ 1 on 0) as the dataset's raw images are: 28×28 in 0..1, or digits' 8×8 in 0..16.
    Raises EmptyDrawing when there is no ink."""
    image = np.clip(np.nan_to_num(np.asarray(drawing, np.float64)), 0.0, 1.0)
    if image.ndim != 2:
        raise ValueError(f"a drawing is a 2-D array, got shape {image.shape}")
    recipe = RECIPES.get(dataset, "mnist")
    return {"mnist": as_mnist, "fill": as_fashion, "optdigits": as_optdigits}[recipe](image)


_STANDARD: dict[int, tuple[weakref.ref, float, float]] = {}  # by id(dataset): its x_train (weakly), mean, std


def standardisation(data: Dataset) -> tuple[float, float]:
    """The (mean, std) with which data.py standardised this dataset: x = (v − mean) / std, v the raw value
    as a fraction of full ink (digits /16, MNIST /255). Every training set holds background pixels (v = 0)
    and full-ink ones (v = 1), and the map is affine, so its least and largest values give it back:
    std = 1 / (x_max − x_min), mean = −x_min · std. (tests/test_probe.py checks it against recomputing from
    the raw files.) A Dataset that carries `mean` and `std` is taken at its word."""
    if hasattr(data, "mean") and hasattr(data, "std"):
        return float(data.mean), float(data.std)
    known = _STANDARD.get(id(data))
    if known is None or known[0]() is not data.x_train:  # an id may be reused once a dataset is gone
        low, high = (float(v) for v in torch.aminmax(data.x_train))
        std = 1.0 / (high - low)
        for key in [k for k, v in _STANDARD.items() if v[0]() is None]:
            _STANDARD.pop(key, None)
        known = _STANDARD[id(data)] = (weakref.ref(data.x_train), -low * std, std)
    return known[1], known[2]


def prepare(drawing, data: Dataset) -> torch.Tensor:
    """A drawing as the network's input: (1, 1, H, W) float32, made like the dataset's images (`raw`), then
    as data.py feeds them: v = raw / 16 for digits (raw already 0..1 for the MNIST family), x = (v − mean) / std."""
    image = raw(drawing, data.name)
    if data.name == "digits":
        image = image / 16.0
    mean, std = standardisation(data)
    return torch.from_numpy(((image - mean) / std).astype(np.float32))[None, None]


# --- the probe ----------------------------------------------------------------------------------------

@torch.no_grad()
def read(loss, x: torch.Tensor) -> dict:
    """Everything the loss says about one feature x (shape (dim,)), class j in the loss's order:

    - cos θ_j = x·W_j / (‖x‖ ‖W_j‖), θ_j = arccos(cos θ_j) in degrees: the angle to the class vector W_j;
    - f_j = loss.logits(x)_j, the margin-free logit the network predicts with (‖x‖ cos θ_j, s cos θ_j, or
      W_j·x + b_j for softmax); the prediction is argmax_j f_j, p_j = softmax(f)_j;
    - margin_j = loss.margin_logits(x, y=j)_j, the target logit x would get in training if its label were j
      (A-Softmax ‖x‖ (λ cos θ_j + ψ(θ_j)) / (1 + λ), CosFace s (cos θ_j − m), ArcFace s cos(θ_j + m), ...);
    - wins_j: with label j, margin_j beats every other logit of that row, margin_logits(x, j)_k, k ≠ j: x lies in
      class j's coloured region of the picture (`geometry.decision_regions`); no j wins in a grey gap.
    """
    x = x.reshape(1, -1).to(loss.weight.dtype)
    k = loss.num_classes
    w = loss.weight.detach()
    cos = (F.normalize(x, dim=1) @ F.normalize(w, dim=1).T).clamp(-1.0, 1.0)[0]
    plain = loss.logits(x)[0]
    rows = loss.margin_logits(x.expand(k, -1), torch.arange(k))  # row j: the logits with label j
    margin = rows.diagonal()
    others = rows.masked_fill(torch.eye(k, dtype=torch.bool), -math.inf).max(dim=1).values
    return {"cos": cos.tolist(), "angles": torch.rad2deg(torch.acos(cos)).tolist(), "logits": plain.tolist(),
            "margin_logits": margin.tolist(), "wins": (margin > others).tolist(),
            "probabilities": torch.softmax(plain, 0).tolist(), "predicted": int(plain.argmax())}


def probe(trainer, image: torch.Tensor, lock=None) -> dict:
    """Where `image` (from `prepare`) lands for the trainer now. Under `lock` (the player's: the trainer is
    between two steps) the network (folded, as `Trainer.features` embeds the test images) and the loss are
    copied; the feature x = model(image) is then computed from the copies without gradients. Training is
    never altered.

    Returns the feature (`feature`, ‖x‖ as `norm`), `read`'s angles and logits by the loss's classes, the
    predicted class (index among them and dataset class id), the classes' ids and names, the loss's name,
    title, hyper-parameters (λ included for A-Softmax) and formulas, and the step."""
    with lock or nullcontext():
        model, loss = trainer.model.folded(), copy.deepcopy(trainer.loss)
        step = trainer.step_count
    x = trainer.features(image.contiguous(memory_format=torch.channels_last), model=model)[0]
    out = read(loss, x)
    seen = [int(c) for c in trainer.seen]
    hparams = loss.hparams()
    if getattr(loss, "lam", None) is not None:
        hparams["lambda"] = loss.lam
    return {"feature": x.tolist(), "norm": float(x.norm()), **out, "step": step, "classes": seen,
            "names": [str(trainer.data.class_names[c]) for c in seen], "predicted_class": seen[out["predicted"]],
            "loss": trainer.config.loss, "title": loss.title, "hparams": hparams,
            "formulas": FORMULAS.get(trainer.config.loss, ("f_j", "f_j with the margin"))}
