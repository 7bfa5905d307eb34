"""Run files: round trip, atomic writes, and refusal of anything that is not plain arrays."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from sphereface_viz import runio
from sphereface_viz.runio import RunFileError, load_run, run_from_trainer, run_to_bytes, save_run
from sphereface_viz.trainer import TrainConfig, Trainer


@pytest.fixture(scope="module")
def run():
    tr = Trainer(TrainConfig(width=4, epochs=1, threads=1, eval_size=50, snapshot_every=4))
    tr.run()
    return run_from_trainer(tr)


def test_round_trip(run, tmp_path):
    save_run(run, tmp_path / "run.npz")
    back = load_run(tmp_path / "run.npz")
    assert back.config == run.config and back.class_names == run.class_names
    assert np.array_equal(back.features, run.features) and np.array_equal(back.steps, run.steps)
    assert back.features.shape[1:] == (50, 2) and back.history[-1]["test_accuracy"] == run.history[-1]["test_accuracy"]
    assert oct(os.stat(tmp_path / "run.npz").st_mode & 0o777) != oct(0o600)


def test_truncated_file_is_refused(run):
    data = run_to_bytes(run)
    with pytest.raises(RunFileError, match="not a readable run file"):
        load_run(data[: len(data) // 2])


def test_pickle_is_never_executed(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path}/pwned",))

    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array([Boom()], dtype=object), features=np.zeros((1, 2, 2)))
    with pytest.raises(RunFileError, match="Python objects"):
        load_run(buffer.getvalue())
    raw_pickle = pickle.dumps(Boom())
    with pytest.raises(RunFileError):
        load_run(raw_pickle)
    assert not (tmp_path / "pwned").exists()


def test_wrong_kind_of_file(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros(3))
    with pytest.raises(RunFileError, match="missing"):
        load_run(buffer.getvalue())
    with pytest.raises(RunFileError):
        load_run(b"just some text")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(RunFileError):
        load_run(zipped.getvalue())


def test_inconsistent_shapes(run):
    bad = runio.Run(**{**run.__dict__, "weights": run.weights[:1]})
    with pytest.raises(RunFileError, match="inconsistent"):
        load_run(run_to_bytes(bad))


def test_atomic_write_never_leaves_a_half_file(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    runio.atomic_write(target, b"old, complete")

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(runio.os, "replace", crash)
    with pytest.raises(OSError):
        runio.atomic_write(target, b"new" * 1000)
    assert target.read_bytes() == b"old, complete"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_json_has_no_nan():
    assert runio.to_json({"a": float("nan"), "b": [float("inf"), 1.0]}).replace(" ", "").replace("\n", "") == \
        '{"a":null,"b":[null,1.0]}'
