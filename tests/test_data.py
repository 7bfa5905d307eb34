"""Datasets: digits bundled, real MNIST from ../shared, and every kind of bad file named clearly."""
import gzip
import hashlib
from pathlib import Path

import numpy as np
import torch
import pytest

from sphereface_viz import data
from sphereface_viz.data import DataError, load_dataset, read_idx

from devtools.idxfiles import corrupt, idx_bytes, write_set

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
# MD5 of the decompressed files, as published with the original distribution (its bytes, once decompressed)
MNIST_MD5 = {"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
             "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
             "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
             "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"}


def test_digits_is_bundled_standardised_and_split():
    d = load_dataset("digits")
    assert d.x_train.shape == (1437, 1, 8, 8) and d.x_test.shape == (360, 1, 8, 8)
    assert abs(d.x_train.mean().item()) < 1e-5 and abs(d.x_train.std().item() - 1) < 1e-4
    assert sorted(d.y_test.unique().tolist()) == list(range(10))


def test_shipped_digits_are_scikit_learns_with_its_stratified_split():
    """digits.npz against scikit-learn itself (a test-only import): the same images, labels and 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(bunch.images.astype(np.float32) / 16.0, bunch.target, test_size=0.2,
                                              random_state=0, stratify=bunch.target)
    mean, std = x_tr.mean(), x_tr.std(ddof=1)  # torch.std is the unbiased one
    d = data.load_digits()
    assert np.array_equal(d.y_train.numpy(), y_tr) and np.array_equal(d.y_test.numpy(), y_te)
    assert np.allclose(d.x_train.numpy()[:, 0], (x_tr - mean) / std, atol=1e-5)
    assert np.allclose(d.x_test.numpy()[:, 0], (x_te - mean) / std, atol=1e-5)


def test_the_app_and_the_cli_start_without_scikit_learn():
    import subprocess
    import sys

    code = ("import sys; from sphereface_viz.data import load_dataset; load_dataset('digits'); "
            "import sphereface_viz.cli; print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_real_mnist_from_shared_folder_is_byte_identical():
    for stem, md5 in MNIST_MD5.items():
        assert hashlib.md5(gzip.decompress((MNIST / f"{stem}.gz").read_bytes())).hexdigest() == md5
    d = load_dataset("mnist", MNIST, download=False)
    assert d.x_train.shape == (60000, 1, 28, 28) and d.x_test.shape == (10000, 1, 28, 28)
    assert d.y_train[:5].tolist() == [5, 0, 4, 1, 9]  # the first labels of the original file


def test_raw_and_gzip_files_read_alike(tmp_path):
    arrays = write_set(tmp_path / "gz")
    write_set(tmp_path / "raw", compress=False)
    a = data.load_idx_dataset("mnist", tmp_path / "gz", download=False)
    b = data.load_idx_dataset("mnist", tmp_path / "raw", download=False)
    assert np.array_equal(a.y_train.numpy(), arrays[1]) and np.allclose(a.x_test, b.x_test)


@pytest.mark.parametrize("how,message", [
    ("truncated", "truncated"), ("not-gzip-not-idx", "not an IDX file"), ("broken-gzip", "cannot read"),
    ("wrong-magic", "bad magic"), ("wrong-dimension", "expected 3 dimension"), ("trailing", "trailing bytes"),
    ("empty", "not an IDX file"),
])
def test_bad_files_are_named_with_their_fault(tmp_path, how, message):
    write_set(tmp_path)
    path = corrupt(tmp_path, how)
    with pytest.raises(DataError, match=message) as err:
        data.load_idx_dataset("mnist", tmp_path, download=False)
    assert path.name in str(err.value)


def test_wrong_count_between_images_and_labels(tmp_path):
    write_set(tmp_path, labels=np.zeros(19))
    with pytest.raises(DataError, match="20 images but .* 19 labels"):
        data.load_idx_dataset("mnist", tmp_path, download=False)


def test_out_of_range_labels(tmp_path):
    write_set(tmp_path, labels=np.full(20, 12))
    with pytest.raises(DataError, match=r"labels must be in 0..9, found 12..12"):
        data.load_idx_dataset("mnist", tmp_path, download=False)


def test_missing_and_offline_names_folder_and_files(tmp_path, monkeypatch):
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("network unreachable")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DataError) as err:
        data.load_idx_dataset("kmnist", tmp_path / "nothing-here")
    text = str(err.value)
    assert str(tmp_path / "nothing-here") in text and "t10k-labels-idx1-ubyte.gz" in text
    assert "ConnectionError" in text


def test_download_goes_through_pooch_with_the_published_md5(tmp_path, monkeypatch):
    import pooch

    calls = []

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.append((url, known_hash))
        source = MNIST / fname
        target = Path(path) / fname
        target.write_bytes(source.read_bytes())
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    d = data.load_idx_dataset("mnist", tmp_path)
    assert len(calls) == 4 and calls[0][1] == "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert calls[0][0].endswith("/train-images-idx3-ubyte.gz") and d.num_classes == 10


def test_data_dir_resolution(tmp_path, monkeypatch):
    assert data.data_dir_for("mnist", tmp_path) == tmp_path
    monkeypatch.setenv("SPHEREFACE_VIZ_DATA", str(tmp_path))
    assert data.data_dir_for("kmnist") == tmp_path / "kmnist"
    monkeypatch.delenv("SPHEREFACE_VIZ_DATA")
    assert data.data_dir_for("kmnist").name == "kmnist"


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("cifar")


def test_read_idx_labels_shape(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.arange(7)))
    assert read_idx(path, 1).tolist() == list(range(7))


def test_a_holdout_keeps_the_seen_classes_only_and_numbers_them_in_order():
    images = torch.arange(6, dtype=torch.float32).reshape(6, 1, 1, 1)
    labels = torch.tensor([0, 1, 2, 1, 2, 0])
    d = data.Dataset("toy", images, labels, images[:3], labels[:3], ("a", "b", "c"))
    seen, remap, (x_train, y_train), (x_test, y_test) = d.without((1,))
    assert seen == [0, 2] and remap.tolist() == [0, -1, 1]
    assert x_train.flatten().tolist() == [0, 2, 4, 5] and y_train.tolist() == [0, 1, 1, 0]
    assert x_test.flatten().tolist() == [0, 2] and y_test.tolist() == [0, 1]
    _, _, (whole, _), _ = d.without()
    assert whole.data_ptr() == images.data_ptr()  # no holdout: the dataset's own tensor, not a copy
