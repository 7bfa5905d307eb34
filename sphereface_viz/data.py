"""Datasets as ready tensors: scikit-learn's 8×8 digits (shipped in digits.npz), and the MNIST family from IDX files.

IDX files live in a data directory: the `data_dir` argument, else $SPHEREFACE_VIZ_DATA/<name>, else a
per-user cache (pooch.os_cache). Missing files are downloaded there with an MD5 check; every file,
downloaded or not, is parsed strictly, so a truncated or wrong file fails with its name and its fault.
"""
from __future__ import annotations

import functools
import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DIGIT_NAMES = tuple(str(d) for d in range(10))
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# Official mirrors and the MD5 of each published .gz (the values torchvision checks too).
SOURCES = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
               "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"), DIGIT_NAMES),
    "fashion_mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                       "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
                      ("T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal", "Shirt", "Sneaker", "Bag", "Boot")),
    "kmnist": ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
               ("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"),
               ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")),
}
DATASETS = ("digits",) + tuple(SOURCES)
IDX_TYPES = {0x08: np.uint8}


def class_names(name: str) -> tuple[str, ...]:
    """The names of a dataset's classes, without loading it."""
    return DIGIT_NAMES if name == "digits" else SOURCES[name][2]


class DataError(ValueError):
    """A dataset that cannot be had: missing offline, or a file that is not what it claims."""


@dataclass(frozen=True)
class Dataset:
    """Images as float32 (N, 1, H, W), standardised with the training set's mean and std."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_size(self) -> int:
        return self.x_train.shape[-1]

    def without(self, holdout=()) -> tuple[list[int], torch.Tensor, tuple, tuple]:
        """The open-set view: the classes trained on (`seen`), `remap` from an original class id to its
        index among them (−1: held out), and the training and test (images, labels) of seen classes only,
        labels remapped. Images are channels-last, the CPU conv kernels' fastest layout (one-channel
        images already are): without a holdout they are this dataset's own tensors, not copies (a copy
        per session would be 219 MB of MNIST per student)."""
        seen = [c for c in range(self.num_classes) if c not in holdout]
        remap = torch.full((self.num_classes,), -1, dtype=torch.long)
        remap[seen] = torch.arange(len(seen))

        def seen_only(images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            keep = remap[labels] >= 0
            if not keep.all():
                images, labels = images[keep], labels[keep]
            return images.contiguous(memory_format=torch.channels_last), remap[labels]
        return seen, remap, seen_only(self.x_train, self.y_train), seen_only(self.x_test, self.y_test)


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Parse one IDX file (gzip or raw): magic 0x0000TTDD, DD big-endian uint32 sizes, then the data."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: cannot read or decompress ({err})") from None
    if len(raw) < 4 or raw[0:2] != b"\0\0" or raw[2] not in IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    if raw[3] != ndim:
        raise DataError(f"{path}: expected {ndim} dimension(s), the file has {raw[3]}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(f"{path}: header says {shape} = {expected} values, the file holds {len(raw) - header} "
                        f"({'truncated' if len(raw) - header < expected else 'trailing bytes'})")
    return np.frombuffer(raw, IDX_TYPES[raw[2]], expected, header).reshape(shape)


def data_root() -> Path:
    """The server's (or user's) data folder: $SPHEREFACE_VIZ_DATA, else the per-user cache."""
    root = os.environ.get("SPHEREFACE_VIZ_DATA")
    if root:
        return Path(root).expanduser()
    import pooch

    return Path(pooch.os_cache("sphereface-viz"))


def data_dir_for(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Where a dataset's four files are: the argument (the CLI's --data-dir), else <data_root()>/<name>."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    return data_root() / name


def without_server_paths(message: str) -> str:
    """A message as a browser may see it: the data folder's place on the server shown as <data>."""
    return message.replace(str(data_root()), "<data>")


def find_or_fetch(name: str, folder: Path, download: bool = True) -> list[Path]:
    """The four IDX files of a dataset in folder (raw or .gz), downloading the missing ones."""
    base_url, md5s, _ = SOURCES[name]
    found, missing = [], []
    for stem, md5 in zip(FILES, md5s):
        here = [folder / (stem + ext) for ext in (".gz", "") if (folder / (stem + ext)).is_file()]
        if here:
            found.append(here[0])
            continue
        if not download:
            missing.append(f"{stem}.gz (offline)")
            continue
        import pooch

        pooch.get_logger().setLevel("WARNING")  # its "Downloading ..." lines would break one-line errors

        try:
            found.append(Path(pooch.retrieve(base_url + stem + ".gz", known_hash=f"md5:{md5}",
                                              fname=stem + ".gz", path=folder, progressbar=False)))
        except Exception as err:  # offline, refused, hash mismatch: all end the same way for the user
            missing.append(f"{stem}.gz ({type(err).__name__})")
    if missing:
        raise DataError(f"{name}: missing in {folder} and could not be downloaded: {', '.join(missing)}. "
                        f"Put the four files {', '.join(s + '.gz' for s in FILES)} there, or connect to the internet.")
    return found


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    train = torch.from_numpy(np.ascontiguousarray(train, np.float32))[:, None]
    test = torch.from_numpy(np.ascontiguousarray(test, np.float32))[:, None]
    mean, std = train.mean(), train.std()
    return (train - mean) / std, (test - mean) / std


def _labels(y: np.ndarray, n: int, where: str) -> torch.Tensor:
    if y.size and (y.min() < 0 or y.max() >= n):
        raise DataError(f"{where}: labels must be in 0..{n - 1}, found {int(y.min())}..{int(y.max())}")
    return torch.from_numpy(y.astype(np.int64))


DIGITS = Path(__file__).with_name("digits.npz")


def load_digits() -> Dataset:
    """scikit-learn's bundled 8×8 digits (1,797 images, values 0-16) with its stratified 80/20 split
    (`train_test_split`, random_state 0), shipped as plain arrays: the app and the CLI start without
    importing scikit-learn (tests/test_data.py checks the file against it)."""
    with np.load(DIGITS) as shipped:
        images, labels, train, test = (shipped[k] for k in ("images", "labels", "train", "test"))
    x = images.astype(np.float32) / 16.0
    x_tr, x_te = _standardise(x[train], x[test])
    y_tr, y_te = labels[train].astype(np.int64), labels[test].astype(np.int64)
    return Dataset("digits", x_tr, _labels(y_tr, 10, "digits"), x_te, _labels(y_te, 10, "digits"), DIGIT_NAMES)


def load_idx_dataset(name: str, folder: Path, download: bool = True) -> Dataset:
    paths = find_or_fetch(name, folder, download)
    x_tr, y_tr, x_te, y_te = (read_idx(p, 3 if "images" in p.name else 1) for p in paths)
    for images, labels, x_path, y_path in ((x_tr, y_tr, paths[0], paths[1]), (x_te, y_te, paths[2], paths[3])):
        if len(images) != len(labels):
            raise DataError(f"{x_path.name} holds {len(images)} images but {y_path.name} {len(labels)} labels")
    if x_tr.shape[1:] != x_te.shape[1:] or x_tr.shape[1] != x_tr.shape[2]:
        raise DataError(f"{name}: images must be square and alike, got {x_tr.shape[1:]} and {x_te.shape[1:]}")
    names = SOURCES[name][2]
    y_tr, y_te = _labels(y_tr, len(names), str(paths[1])), _labels(y_te, len(names), str(paths[3]))
    x_tr, x_te = _standardise(x_tr / np.float32(255), x_te / np.float32(255))
    return Dataset(name, x_tr, y_tr, x_te, y_te, names)


@functools.lru_cache(maxsize=4)
def _cached(name: str, folder: str | None, download: bool) -> Dataset:
    if name == "digits":
        return load_digits()
    return load_idx_dataset(name, Path(folder), download)


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, download: bool | None = None) -> Dataset:
    """A dataset by name, loaded once per process and shared read-only (sessions never write to it).

    download=None: download missing files unless $SPHEREFACE_VIZ_OFFLINE is set (the tests set it).
    """
    if download is None:
        download = not os.environ.get("SPHEREFACE_VIZ_OFFLINE")
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    # keyed by the folder itself: a changed $SPHEREFACE_VIZ_DATA is a different dataset
    return _cached(name, None if name == "digits" else str(data_dir_for(name, data_dir).resolve()), download)
