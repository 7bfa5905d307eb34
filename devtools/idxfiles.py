"""IDX files written by hand for the data and bad-input tests: a small valid set, and the ways a
download or a disk can damage one."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from sphereface_viz.data import FILES


def idx_bytes(array: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


def write_set(folder: Path, n_train=20, n_test=10, size=28, labels=None, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 255, (n_train, size, size)), rng.integers(0, 10, n_train) if labels is None else labels,
              rng.integers(0, 255, (n_test, size, size)), rng.integers(0, 10, n_test)]
    for stem, array in zip(FILES, arrays):
        raw = idx_bytes(np.asarray(array))
        (folder / (stem + (".gz" if compress else ""))).write_bytes(gzip.compress(raw) if compress else raw)
    return arrays


def corrupt(folder: Path, how: str) -> Path:
    path = folder / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    if how == "truncated":
        path.write_bytes(gzip.compress(raw[:-100]))
    elif how == "not-gzip-not-idx":
        path.write_bytes(b"<html>404 Not Found</html>")
    elif how == "broken-gzip":
        path.write_bytes(path.read_bytes()[:40])
    elif how == "wrong-magic":
        path.write_bytes(gzip.compress(b"\x00\x00\x09\x03" + raw[4:]))
    elif how == "wrong-dimension":
        path.write_bytes(gzip.compress(b"\x00\x00\x08\x02" + raw[4:]))
    elif how == "trailing":
        path.write_bytes(gzip.compress(raw + b"\0" * 10))
    elif how == "empty":
        path.write_bytes(b"")
    return path
