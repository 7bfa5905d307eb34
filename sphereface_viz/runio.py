"""Run files: `metrics.json` and `run.npz` of plain arrays, written atomically, read without pickle.

A run file is what the CLI writes and the app downloads or uploads: the configuration, the history,
the snapshots (features of the evaluation images and W at each recorded step, the last one at the
run's final step). `np.load(..., allow_pickle=False)` refuses object arrays, so a file carrying
code can never run it.
"""
from __future__ import annotations

import io
import json
import math
import os
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import limits

FORMAT = "sphereface-viz-run/1"


class RunFileError(ValueError):
    """A run file that is truncated, of another kind, or inconsistent."""


@dataclass
class Run:
    config: dict
    history: list
    class_names: list
    eval_labels: np.ndarray       # (N,) original class ids of the evaluation images
    steps: np.ndarray             # (S,)
    features: np.ndarray          # (S, N, dim)
    weights: np.ndarray           # (S, C, dim)
    biases: np.ndarray | None     # (S, C) for softmax
    snapshot_metrics: list        # S dicts


def atomic_write(path: Path, data: bytes, sync: bool = True) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves a half file. sync: on disk before
    the rename (a live frame, replaced within a second, need not be)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the run from the user's other tools
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value):
    """NaN and inf become None: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    return value


def to_json(value) -> str:
    return json.dumps(_jsonable(value), indent=1, allow_nan=False)


def run_from_trainer(trainer, last_only: bool = False) -> Run:
    """The trainer's recorded snapshots (or only the last) as a Run; a trainer with none is snapshotted now."""
    snaps = list(trainer.snapshots) or [trainer.snapshot()]
    snaps = snaps[-1:] if last_only else snaps
    return Run(
        config=trainer.config.to_dict(), history=list(trainer.history),
        class_names=list(trainer.data.class_names), eval_labels=trainer.eval_labels.numpy(),
        steps=np.array([s.step for s in snaps], np.int64),
        features=np.stack([s.features for s in snaps]), weights=np.stack([s.weight for s in snaps]),
        biases=None if snaps[0].bias is None else np.stack([s.bias for s in snaps]),
        snapshot_metrics=[s.metrics for s in snaps])


def run_to_bytes(run: Run, compress: bool = True) -> bytes:
    """compress=False: twice the bytes in a tenth of the time, for the run store's frequent writes."""
    meta = {"format": FORMAT, "config": run.config, "history": run.history,
            "class_names": run.class_names, "snapshot_metrics": run.snapshot_metrics}
    arrays = {"meta": np.array(to_json(meta)), "eval_labels": run.eval_labels, "steps": run.steps,
              "features": run.features.astype(np.float32), "weights": run.weights.astype(np.float32)}
    if run.biases is not None:
        arrays["biases"] = run.biases.astype(np.float32)
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def save_run(run: Run, path: Path) -> None:
    atomic_write(Path(path), run_to_bytes(run))


# What run_to_bytes writes, member by member: dtype and rank. Nothing else is read.
MEMBERS = {"meta": ("U", 0), "eval_labels": ("<i8", 1), "steps": ("<i8", 1), "features": ("<f4", 3),
           "weights": ("<f4", 3), "biases": ("<f4", 2)}


def _central_directory_entries(data: bytes) -> int:
    """The entry count of the zip's end-of-central-directory record, read before zipfile builds an object
    per entry (a 64 MB file could declare a million). 0xFFFF: a zip64 archive, which a run never is."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) < end + 22:
        raise RunFileError("not a readable run file: its zip directory is missing (cut short?)")
    return struct.unpack_from("<H", data, end + 10)[0]


def _header(handle, member: str) -> tuple[tuple, np.dtype, bool]:
    """An .npy member's shape, dtype and order, from its header alone (nothing else decompressed)."""
    version = np.lib.format.read_magic(handle)
    if version not in ((1, 0), (2, 0)):
        raise RunFileError(f"{member} is .npy version {version}, not 1.0 or 2.0")
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, fortran, dtype = read(handle, max_header_size=1000)
    # numpy parses the header's dict text with tokenize and ast.literal_eval, whose faults vary (ValueError,
    # SyntaxError, tokenize.TokenError, ...): any of them means a damaged header
    except Exception as err:  # noqa: BLE001
        raise RunFileError(f"{member}: damaged .npy header ({type(err).__name__})") from None
    return shape, dtype, fortran


def _check(member: str, shape: tuple, dtype: np.dtype) -> None:
    """Refuse a member whose declared dtype or shape no run has, before its data is read."""
    kind, rank = MEMBERS[member]
    if dtype.hasobject:
        raise RunFileError(f"{member} holds Python objects rather than plain arrays (never unpickled)")
    if (dtype.kind != kind if kind == "U" else dtype.str != kind) or len(shape) != rank:
        raise RunFileError(f"{member} is {dtype.str} of shape {shape}; a run's is {kind} of rank {rank}")
    bounds = {"meta": (), "eval_labels": (limits.MAX_EVAL_SIZE,), "steps": (limits.MAX_SNAPSHOTS,),
              "features": (limits.MAX_SNAPSHOTS, limits.MAX_EVAL_SIZE, 3),
              "weights": (limits.MAX_SNAPSHOTS, limits.MAX_CLASSES, 3),
              "biases": (limits.MAX_SNAPSHOTS, limits.MAX_CLASSES)}[member]
    if any(n > bound for n, bound in zip(shape, bounds)):
        raise RunFileError(f"{member} declares shape {shape}, beyond the largest a run has {bounds} "
                           "(sphereface_viz.limits)")
    if kind == "U" and dtype.itemsize > 4 * limits.MAX_META_CHARS:
        raise RunFileError(f"meta declares {dtype.itemsize // 4:,} characters, more than {limits.MAX_META_CHARS:,}")


def read_arrays(data: bytes) -> dict[str, np.ndarray]:
    """The members of a run's .npz, each checked against MEMBERS and sphereface_viz.limits from the zip
    directory and its .npy header before one byte of its data is decompressed, then read into an array
    of exactly the declared size. Raises RunFileError (without the file's name) for anything else."""
    if len(data) > limits.MAX_RUN_FILE_BYTES:
        raise RunFileError(f"{len(data) / 2**20:.0f} MB, more than the {limits.MAX_RUN_FILE_BYTES / 2**20:.0f} MB "
                           "a run file may be")
    if _central_directory_entries(data) > limits.MAX_RUN_MEMBERS:
        raise RunFileError(f"its zip holds more than the {limits.MAX_RUN_MEMBERS} arrays of a run")
    arrays = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        names = [info.filename.removesuffix(".npy") for info in infos]
        if len(infos) > limits.MAX_RUN_MEMBERS or len(set(names)) != len(names) or not set(names) <= set(MEMBERS):
            held = "".join(c if c.isprintable() else "?" for c in ", ".join(sorted(names)))  # names are the file's
            raise RunFileError(f"it holds {held[:200]}; a run holds {', '.join(MEMBERS)}")
        for info, member in zip(infos, names):
            with archive.open(info) as handle:
                shape, dtype, fortran = _header(handle, member)
                _check(member, shape, dtype)
                size = math.prod(shape) * dtype.itemsize
                if info.file_size != handle.tell() + size:  # the zip directory and the header must agree
                    raise RunFileError(f"{member}: its header declares {size:,} bytes of data, the zip "
                                       f"{info.file_size - handle.tell():,}")
                array = np.empty(shape, dtype, order="F" if fortran else "C")
                if size and handle.readinto(memoryview(array.reshape(-1, order="A")).cast("B")) != size:
                    raise RunFileError(f"{member} is cut short")
                arrays[member] = array
    return arrays


def load_run(source, name: str | None = None) -> Run:
    """Read a run from a path, bytes or a file object; any fault is one RunFileError naming `name`.
    Sizes are bounded before anything is allocated (read_arrays); nothing is ever unpickled."""
    if isinstance(source, (str, Path)):
        name = name or str(source)
        try:
            if Path(source).stat().st_size > limits.MAX_RUN_FILE_BYTES:
                raise RunFileError(f"{name}: larger than the {limits.MAX_RUN_FILE_BYTES / 2**20:.0f} MB a run "
                                   "file may be")
            source = Path(source).read_bytes()
        except OSError as err:
            raise RunFileError(f"{name}: cannot read ({err.strerror or err})") from None
    elif not isinstance(source, (bytes, bytearray)):
        name = name or getattr(source, "name", None)
        source = source.read(limits.MAX_RUN_FILE_BYTES + 1)
    name = name or "the run file"
    # A run is an .npz, i.e. a zip archive; say so before anything else is tried.
    if not bytes(source[:4]) == b"PK\x03\x04":
        raise RunFileError(f"{name}: not a run file (a run is a .npz archive of plain arrays)")
    try:
        arrays = read_arrays(bytes(source))
    except RunFileError as err:
        raise RunFileError(f"{name}: refused, {err}") from None
    # what a damaged zip or .npy can raise while it is read: zipfile's and numpy's own faults, a bad
    # deflate stream (zlib.error), an unsupported compression or an encrypted member
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, NotImplementedError,
            RuntimeError, struct.error, SyntaxError) as err:
        raise RunFileError(f"{name}: not a readable run file ({type(err).__name__}: {err})"[:300]) from None
    missing = {"meta", "eval_labels", "steps", "features", "weights"} - set(arrays)
    if missing:
        raise RunFileError(f"{name}: not a sphereface-viz run (missing {', '.join(sorted(missing))})")
    try:
        meta = json.loads(str(arrays["meta"]))
    except json.JSONDecodeError as err:
        raise RunFileError(f"{name}: damaged metadata ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RunFileError(f"{name}: not a {FORMAT} file")
    if not (isinstance(meta.get("config"), dict) and isinstance(meta.get("history", []), list)
            and isinstance(meta.get("class_names", []), list) and isinstance(meta.get("snapshot_metrics"), list)
            and all(isinstance(m, dict) for m in meta["snapshot_metrics"])):
        raise RunFileError(f"{name}: damaged metadata (config, history, class names or snapshot numbers)")
    feats, weights, steps, labels = arrays["features"], arrays["weights"], arrays["steps"], arrays["eval_labels"]
    biases = arrays.get("biases")
    if (feats.shape[2] not in (2, 3) or weights.shape[2] != feats.shape[2] or len(steps) != len(feats)
            or len(weights) != len(feats) or labels.shape != feats.shape[1:2] or len(feats) == 0
            or len(meta["snapshot_metrics"]) != len(feats)
            or biases is not None and biases.shape != weights.shape[:2]):
        raise RunFileError(f"{name}: inconsistent array shapes {feats.shape}, {weights.shape}, {steps.shape}")
    return Run(config=meta["config"], history=meta.get("history", []), class_names=meta.get("class_names", []),
               eval_labels=labels, steps=steps, features=feats, weights=weights,
               biases=biases, snapshot_metrics=meta["snapshot_metrics"])
