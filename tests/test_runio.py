"""Run files: round trip, atomic writes, and refusal of anything that is not plain arrays."""
import functools
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphereface_viz import runio
from sphereface_viz.runio import RunFileError, load_run, run_from_trainer, run_to_bytes, save_run
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.trainer import Trainer

from conftest import declaring


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
    with pytest.raises(RunFileError, match="a run holds meta"):
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


def test_a_file_declaring_gigabytes_is_refused_before_any_large_allocation(crafted_run_file):
    """Issue #17's crafted file: 1.2 MB on disk, 1.2 GB of features declared (and really deflated in it)."""
    import tracemalloc

    crafted = crafted_run_file.read_bytes()
    assert len(crafted) < 2**21
    tracemalloc.start()
    try:
        with pytest.raises(RunFileError, match="beyond the largest a run has"):
            load_run(crafted, name="crafted.npz")
        peak = tracemalloc.get_traced_memory()[1]  # traced since start: the read alone
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # the file's own bytes and zipfile's buffers, never the declared array


def test_a_header_and_a_zip_directory_that_disagree_are_refused():
    with pytest.raises(RunFileError, match="header declares"):
        load_run(declaring("features", (300, 1000, 3), truthful=False))


def test_the_bounds_follow_the_limits(monkeypatch, run):
    from sphereface_viz import limits

    data = run_to_bytes(run)
    assert load_run(data).features.shape[0] == len(run.steps)
    monkeypatch.setattr(limits, "MAX_SNAPSHOTS", len(run.steps) - 1)
    with pytest.raises(RunFileError, match="beyond the largest"):
        load_run(data)
    monkeypatch.setattr(limits, "MAX_RUN_FILE_BYTES", len(data) - 1)
    with pytest.raises(RunFileError, match="a run file may be"):
        load_run(data)


def test_more_zip_entries_than_a_run_has_are_refused_before_zipfile_reads_them():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for k in range(1000):
            z.writestr(f"{k}.npy", b"")
    with pytest.raises(RunFileError, match="more than the 6 arrays"):
        load_run(out.getvalue())


# --- fuzzing the reader: only its own error may come out, within the stated memory bound -----------------
@functools.lru_cache(maxsize=None)
def real_files() -> tuple[bytes, bytes]:
    """A real run file, deflated as written, and the same arrays stored (so mutations reach the headers)."""
    tr = Trainer(TrainConfig(width=4, epochs=0.2, threads=1, eval_size=20, snapshot_every=2))
    tr.run()
    data = run_to_bytes(run_from_trainer(tr))
    stored = io.BytesIO()
    with np.load(io.BytesIO(data)) as npz:
        np.savez(stored, **{k: npz[k] for k in npz.files})
    return data, stored.getvalue()


def only_a_clear_refusal(data: bytes) -> None:
    import tracemalloc

    from conftest import FUZZED
    from sphereface_viz import limits

    FUZZED["run reader"] = FUZZED.get("run reader", 0) + 1
    tracemalloc.start()  # traced for this read only: tracing hypothesis too made the fuzzers 5× slower
    try:
        load_run(data, name="fuzzed.npz")
    except RunFileError as err:
        assert str(err).startswith("fuzzed.npz: ") and "\n" not in str(err)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < limits.largest_run_bytes() + 4 * len(data)


FUZZ = settings(max_examples=1500, deadline=None)


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(data):
    only_a_clear_refusal(b"PK\x03\x04" + data)


@FUZZ
@given(st.integers(0, 1), st.floats(0, 1))
def test_fuzz_truncations(which, fraction):
    data = real_files()[which]
    only_a_clear_refusal(data[: int(len(data) * fraction)])


@FUZZ
@given(st.integers(0, 1), st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                                    min_size=1, max_size=8))
def test_fuzz_mutations(which, changes):
    data = bytearray(real_files()[which])
    for where, value in changes:
        data[int(where * len(data))] = value
    only_a_clear_refusal(bytes(data))


def test_a_member_name_with_a_newline_is_refused_in_one_line():
    """The fuzz test's find: the file's own member names go into the message, control characters shown as '?'."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("ev\nl_labels.npy", b"x")
    with pytest.raises(RunFileError) as err:
        load_run(buf.getvalue(), name="fuzzed.npz")
    assert "\n" not in str(err.value) and "it holds ev?l_labels;" in str(err.value)
