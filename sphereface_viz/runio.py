"""Run files: `metrics.json` and `run.npz` of plain arrays, written atomically, read without pickle.

A run file is what the CLI writes and the app downloads or uploads: the configuration, the history,
the snapshots (features of the evaluation images and W at each recorded step) and the final
test-set features. `np.load(..., allow_pickle=False)` refuses object arrays, so a file carrying
code can never run it.
"""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the run from the user's other tools
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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


def run_to_bytes(run: Run) -> bytes:
    meta = {"format": FORMAT, "config": run.config, "history": run.history,
            "class_names": run.class_names, "snapshot_metrics": run.snapshot_metrics}
    arrays = {"meta": np.array(to_json(meta)), "eval_labels": run.eval_labels, "steps": run.steps,
              "features": run.features.astype(np.float32), "weights": run.weights.astype(np.float32)}
    if run.biases is not None:
        arrays["biases"] = run.biases.astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def save_run(run: Run, path: Path) -> None:
    atomic_write(Path(path), run_to_bytes(run))


def load_run(source, name: str | None = None) -> Run:
    """Read a run from a path, bytes or a file object; any fault is one RunFileError naming `name`."""
    if isinstance(source, (str, Path)):
        name = name or str(source)
        try:
            source = Path(source).read_bytes()
        except OSError as err:
            raise RunFileError(f"{name}: cannot read ({err.strerror or err})") from None
    elif not isinstance(source, (bytes, bytearray)):
        name = name or getattr(source, "name", None)
        source = source.read()
    name = name or "the run file"
    # A run is an .npz, i.e. a zip archive; say so before numpy's fallback to unpickling would be tried.
    if not bytes(source[:4]) == b"PK\x03\x04":
        raise RunFileError(f"{name}: not a run file (a run is a .npz archive of plain arrays)")
    try:
        with np.load(io.BytesIO(source), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except ValueError as err:  # object arrays (pickles) land here
        raise RunFileError(f"{name}: refused, it holds Python objects rather than plain arrays ({err})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise RunFileError(f"{name}: not a readable run file ({type(err).__name__}: {err})") from None
    missing = {"meta", "eval_labels", "steps", "features", "weights"} - set(arrays)
    if missing:
        raise RunFileError(f"{name}: not a sphereface-viz run (missing {', '.join(sorted(missing))})")
    try:
        meta = json.loads(str(arrays["meta"]))
    except json.JSONDecodeError as err:
        raise RunFileError(f"{name}: damaged metadata ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RunFileError(f"{name}: not a {FORMAT} file")
    feats, weights, steps, labels = arrays["features"], arrays["weights"], arrays["steps"], arrays["eval_labels"]
    if (feats.ndim != 3 or weights.ndim != 3 or feats.shape[2] not in (2, 3) or weights.shape[2] != feats.shape[2]
            or len(steps) != len(feats) or len(weights) != len(feats) or labels.shape != feats.shape[1:2]
            or len(meta.get("snapshot_metrics", [])) != len(feats)):
        raise RunFileError(f"{name}: inconsistent array shapes {feats.shape}, {weights.shape}, {steps.shape}")
    return Run(config=meta["config"], history=meta.get("history", []), class_names=meta.get("class_names", []),
               eval_labels=labels, steps=steps, features=feats, weights=weights,
               biases=arrays.get("biases"), snapshot_metrics=meta["snapshot_metrics"])
