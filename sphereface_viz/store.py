"""Runs trained once for the whole room: a run store on disk, shared by every session and app process.

A run is a function of its configuration, the code and the data: one thread, one seed, the same
steps bit for bit (tests/test_trainer.py). So when thirty students open the teacher's link, one
session trains and the others replay what it recorded. Per key the store keeps the longest stretch
of the untouched run anyone has trained: its snapshots (to replay) and the trainer's state at its last
step (to go on from, `Trainer.resume`).

- An entry is one .npz of plain arrays, written to a temporary file and renamed: readers never see
  half of one. Two writers of a key take turns under a file lock and the longer run wins.
- One session at a time trains a key: it holds the key's claim, a small file it touches while it
  trains; a claim untouched for `PATIENCE` seconds (a closed tab, a killed process) is free again.
  Sessions following it touch another file: a run nobody follows is written less often.
- The store is bounded: past `max_bytes` the least recently used entries go first.
- An entry that cannot be read is deleted and trained again; it never reaches a page.
- Nothing is unpickled: the run is runio's format, the state `torch.load(..., weights_only=True)`.
- A channel carries a presented run's live frames from the process that trains it to every other
  (sphereface_viz.relay): `announce` replaces its latest message, `heard` waits for a newer one.

This is the folder store, the embedded default: several processes share it through one disk. Processes on several
machines share the same store in Redis instead (sphereface_viz.redis_store, $SPHEREFACE_VIZ_STORE=redis://...).
Both have the methods of `Store`, and the same tests (tests/test_store.py).
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import socket
import struct
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filelock
import numpy as np
import torch

from .runio import Run, atomic_write, load_run, run_from_trainer, run_to_bytes
from .trainer import Snapshot, Trainer

PATIENCE = 5.0           # seconds a claim holds without being touched
DEFAULT_MB = 512         # $SPHEREFACE_VIZ_RUNS_MB; 0 turns the store off
MAX_ENTRY_BYTES = 80 * 2**20  # a run file's bound (runio) and a state's: nothing larger is read back
MAX_MESSAGE_BYTES = 16 * 2**20  # a channel's message (a frame: ~0.1-1 MB) and its metadata: nothing larger is passed on
CHANNEL_FOR = 3600.0     # seconds a channel nobody announced on is kept
LOOK = 0.02              # seconds between looks at a channel's file while waiting for news
SIDE_FILES = (".claim", ".want", ".lock")  # beside an entry: who trains it, who follows it, its lock


class StoreDown(ConnectionError):
    """The store cannot be reached now (Redis away): an OSError, so a player trains on and writes again later."""


@functools.cache
def code_version() -> str:
    """A hash of the package's source: a changed loss or trainer must not replay an older run."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _data_hash(dataset) -> str:
    digest = hashlib.sha256()
    for tensor in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def run_key(trainer: Trainer) -> str:
    """Everything that decides the run: its configuration as it started, the code and the data."""
    config = trainer.config.to_dict()
    config.pop("data_dir"), config.pop("download")  # where the data lives is not what it is
    text = json.dumps({"config": config, "code": code_version(), "data": _data_hash(trainer.data)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Entry:
    """A stored stretch of a run: its snapshots and history up to `step`, and the state at `step`."""

    step: int
    snapshots: list[Snapshot]
    history: list[dict]
    state: dict
    writer: str
    config: dict      # the run's TrainConfig, as run files record it
    meta: dict        # what the writer recorded beside the run (a presentation's settings), else {}


def pack(trainer: Trainer, writer: str, meta: dict | None = None) -> tuple[int, bytes]:
    """This moment of a trainer (take it between steps) as an entry file, with `meta` (plain JSON) beside it; a
    snapshot of the step itself ends its run, so a session replaying it draws the state it goes on from."""
    if not trainer.snapshots or trainer.snapshots[-1].step != trainer.step_count:
        trainer.snapshot()
    state = io.BytesIO()
    torch.save(trainer.state(), state)
    meta = {"step": trainer.step_count, "writer": writer, "steps_per_epoch": trainer.steps_per_epoch,
            "extra": meta or {}}
    buffer = io.BytesIO()
    np.savez(buffer, run=np.frombuffer(run_to_bytes(run_from_trainer(trainer), compress=False), np.uint8),
             state=np.frombuffer(state.getvalue(), np.uint8), meta=np.array(json.dumps(meta)))
    return trainer.step_count, buffer.getvalue()


def _snapshots(run: Run, steps_per_epoch: int) -> list[Snapshot]:
    return [Snapshot(int(step), int(step) / steps_per_epoch, run.features[i], run.weights[i],
                     None if run.biases is None else run.biases[i], dict(metrics))
            for i, (step, metrics) in enumerate(zip(run.steps, run.snapshot_metrics))]


def read_entry(data: bytes) -> Entry:
    """An entry from its file's bytes: plain arrays, the run checked by runio, the state by torch's
    weights-only reader. Raises on anything else."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        meta = json.loads(str(arrays["meta"]))
        run = load_run(arrays["run"].tobytes(), name="stored run")
        state = torch.load(io.BytesIO(arrays["state"].tobytes()), weights_only=True)
    if int(run.steps[-1]) != int(meta["step"]) or int(state["step"]) != int(meta["step"]):
        raise ValueError(f"stored steps disagree: {run.steps[-1]}, {state['step']}, {meta['step']}")
    extra = meta.get("extra", {})
    if not isinstance(extra, dict):
        raise ValueError("stored metadata is not an object")
    return Entry(int(meta["step"]), _snapshots(run, max(1, int(meta["steps_per_epoch"]))), run.history, state,
                 str(meta["writer"]), run.config, extra)


def channel_message(message: bytes, meta: dict) -> bytes:
    """A channel's entry as bytes: the length of `meta`'s JSON (uint32, little-endian), that JSON, the message."""
    text = json.dumps(meta, separators=(",", ":")).encode()
    data = struct.pack("<I", len(text)) + text + message
    if len(data) > MAX_MESSAGE_BYTES:
        raise ValueError(f"a channel message of {len(data):,} bytes is more than {MAX_MESSAGE_BYTES:,}")
    return data


def read_channel_message(data: bytes) -> tuple[bytes, dict]:
    """(message, meta) back from `channel_message`'s bytes; raises ValueError on anything else."""
    if len(data) > MAX_MESSAGE_BYTES or len(data) < 4:
        raise ValueError(f"a channel message of {len(data):,} bytes")
    (length,) = struct.unpack_from("<I", data)
    if length > len(data) - 4:
        raise ValueError("a channel message shorter than its metadata says")
    meta = json.loads(data[4:4 + length])
    if not isinstance(meta, dict):
        raise ValueError("a channel message's metadata is not an object")
    return data[4 + length:], meta


class Store:
    """What both run stores do (the folder's here, Redis's in sphereface_viz.redis_store): entries by key (get, put,
    evict), who trains a key (claim, release), who follows it (want, wanted), and channels (announce, heard). An entry
    is parsed once per version and shared by every session of the process."""

    max_bytes: int

    def __init__(self):
        self._cache: OrderedDict[str, tuple[object, Entry]] = OrderedDict()  # key → (its version, entry)
        self._guard = threading.Lock()  # every session's training thread looks through this one store
        self._reading = threading.Lock()

    def _parsed(self, key: str, version, load) -> Entry | None:
        """The entry of this version of `key`, parsed from load()'s bytes (None: gone meanwhile) unless parsed already.
        A version that cannot be read raises."""
        with self._guard:  # parsed already: a hundred sessions following one run take it without queueing
            cached = self._cache.get(key)
            if cached and cached[0] == version:
                self._cache.move_to_end(key)
                return cached[1]
        # One reader at a time: thirty sessions following one run all see its new version at once, and
        # parsed by each, a version would cost an eighth of the server's CPU (bench/load.py); the others
        # wait, then find it parsed.
        with self._reading:
            with self._guard:
                cached = self._cache.get(key)
                if cached and cached[0] == version:
                    self._cache.move_to_end(key)
                    return cached[1]
            data = load()
            if data is None:
                return None
            if len(data) > MAX_ENTRY_BYTES:
                raise ValueError(f"{len(data):,} bytes")
            entry = read_entry(data)
            with self._guard:
                self._cache[key] = (version, entry)
                while len(self._cache) > 8:
                    self._cache.popitem(last=False)
            return entry

    def _forget(self, key: str) -> None:
        with self._guard:  # under the guard: a pop between another thread's get and move_to_end would raise
            self._cache.pop(key, None)


class RunStore(Store):
    """The folder store: entries, claims and channels as files in `root`."""

    def __init__(self, root: str | os.PathLike, max_bytes: int):
        super().__init__()
        self.root, self.max_bytes = Path(root), int(max_bytes)
        self._steps: dict[str, tuple[tuple, int]] = {}  # key → (file's stat, its step): a look costs no read

    def path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    # --- entries ---------------------------------------------------------------------------------
    def get(self, key: str, beyond: int = -1) -> Entry | None:
        """The stored stretch of a run if it goes beyond step `beyond`, else None. Parsed once per version
        of the file, and shared: every session of this process replaying a key holds the same snapshots.
        A damaged entry is deleted."""
        path = self.path(key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._forget(key)
            return None
        version = _version(stat)
        known = self._steps.get(key)
        if known is not None and known[0] == version and known[1] <= beyond:
            return None
        try:
            if stat.st_size > MAX_ENTRY_BYTES:
                raise ValueError(f"{stat.st_size:,} bytes")
            entry = self._parsed(key, version, lambda: _used_bytes(path))
        except Exception:  # noqa: BLE001 - whatever a damaged file raises, it is dropped and trained again
            path.unlink(missing_ok=True)
            self._forget(key)
            return None
        if entry is None:  # evicted or replaced meanwhile
            return None
        self._steps[key] = (version, entry.step)
        return entry if entry.step > beyond else None

    def put(self, key: str, step: int, data: bytes, replace: bool = False) -> bool:
        """Store a run up to `step` (`pack`), unless the store already has as much of it (or, `replace`, whatever
        it has: a presented run reset keeps its key). The file is written whole, then renamed into place; writers
        of one key take turns."""
        with self._locked(key):
            if not replace and self.get(key, beyond=step - 1) is not None:  # as far or further already
                return False
            atomic_write(self.path(key), data)
            self._steps[key] = (_version(self.path(key).stat()), step)
        self.evict()
        return True

    def evict(self) -> None:
        """Delete the least recently used entries until the store fits in max_bytes, and the side files
        (claim, want, lock) of keys that have no entry and nobody training or following them."""
        entries = []
        for path in self.root.glob("*.npz"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_atime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
        for key in {path.stem for suffix in SIDE_FILES for path in self.root.glob(f"*{suffix}")}:
            if not self.path(key).exists():
                self._tidy(key)
        for path in self.root.glob("*.channel"):
            if _age(path) > CHANNEL_FOR:
                path.unlink(missing_ok=True)

    def _tidy(self, key: str) -> None:
        """Remove a key's stale claim and want files, and its lock file once nothing else of it is left."""
        with self._locked(key) as lock:
            for suffix in (".claim", ".want"):
                path = self.root / f"{key}{suffix}"
                if _age(path) >= PATIENCE:
                    path.unlink(missing_ok=True)
            # Only flock's lock file outlives its lock: filelock's Windows and soft locks delete theirs on release.
            if filelock.FileLock is filelock.UnixFileLock and not any(
                    (self.root / f"{key}{suffix}").exists() for suffix in (".npz", ".claim", ".want")):
                lock.unlink(missing_ok=True)  # while holding it: a waiter that then gets it locks the new file

    @contextmanager
    def _locked(self, key: str):
        """An exclusive lock of the key across threads and processes; yields the lock file's path.

        A new FileLock each time, neither singleton nor shared: each opens its own descriptor, so this
        process's threads wait for each other as other processes do (a FileLock shared by threads with
        thread_local=False would let them all in at once). `_tidy` deletes the lock file while holding
        it; filelock (3.29.5 on) drops a lock it gets on a file no longer linked and locks the one at the
        path, and keeps the file on release."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{key}.lock"
        with filelock.FileLock(path):
            yield path

    # --- claims: who trains a key now --------------------------------------------------------------
    def claim(self, key: str, who: str) -> bool:
        """Take or keep the right to train `key`: True if it is `who`'s now. A claim untouched for
        PATIENCE seconds is free; the holder touches it with every call."""
        path = self.root / f"{key}.claim"
        # A look without the lock first: followers ask four times a second, and under the lock the training
        # session would queue behind them between bursts (bench/load.py).
        if _holder(path) not in (None, who):
            return False
        with self._locked(key):
            holder = _holder(path)
            if holder not in (None, who):
                return False
            if holder == who:
                os.utime(path)
            else:
                atomic_write(path, who.encode())
            return True

    def want(self, key: str) -> None:
        """Say that a session is following `key`: its trainer then writes it often (`wanted`)."""
        path = self.root / f"{key}.want"
        try:
            os.utime(path)
        except FileNotFoundError:
            self.root.mkdir(parents=True, exist_ok=True)
            path.touch()

    def wanted(self, key: str) -> bool:
        """Someone followed `key` within PATIENCE seconds."""
        return _age(self.root / f"{key}.want") < PATIENCE

    def release(self, key: str, who: str) -> None:
        path = self.root / f"{key}.claim"
        with self._locked(key):
            try:
                if path.read_text() == who:
                    path.unlink()
            except (FileNotFoundError, UnicodeDecodeError):
                pass


    # --- channels: a presented run's live frames, for the other processes (sphereface_viz.relay) ----------------
    def announce(self, channel: str, message: bytes, meta: dict) -> None:
        """The channel's message from now on, with `meta` (plain JSON) beside it."""
        atomic_write(self.root / f"{channel}.channel", channel_message(message, meta), sync=False)

    def heard(self, channel: str, after: str | None, timeout: float) -> tuple[str, bytes, dict] | None:
        """The channel's latest message if it is not `after` (an id this returned before; None: any), as (id, message,
        meta), waiting up to `timeout` seconds for one; None if none came. A message that cannot be read is dropped."""
        path, deadline = self.root / f"{channel}.channel", time.monotonic() + timeout
        while True:
            try:
                stat = path.stat()
                version = "-".join(map(str, _version(stat)))
                if version != after:
                    message, meta = read_channel_message(path.read_bytes())
                    return version, message, meta
            except FileNotFoundError:
                pass
            except ValueError:
                path.unlink(missing_ok=True)
            if time.monotonic() >= deadline:
                return None
            time.sleep(LOOK)


def _used_bytes(path: Path) -> bytes | None:
    """An entry file's bytes (None if it is gone), marked as just used."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    _used(path)
    return data


def _age(path: Path) -> float:
    """Seconds since the file was last touched (infinite if there is none)."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _holder(path: Path) -> str | None:
    """Who holds a claim file, if it was touched within PATIENCE seconds."""
    try:
        holder = path.read_text()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return holder if _age(path) < PATIENCE else None


def _version(stat: os.stat_result) -> tuple:
    """Which version of an entry's file this is: a rename into place changes the inode, a rewrite the rest."""
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def _used(path: Path) -> None:
    """Mark an entry as just read, for eviction: set its access time (mounts with relatime or noatime
    would not), keeping its modification time, which says which version it is."""
    try:
        os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
    except FileNotFoundError:
        pass


def writer_id(session: str) -> str:
    """A session's name across the processes sharing the folder."""
    return f"{socket.gethostname()}:{os.getpid()}:{session}"


def default_store() -> Store | None:
    """The store in Redis if $SPHEREFACE_VIZ_STORE names one (redis://[:password@]host:port/db), else the folder
    $SPHEREFACE_VIZ_RUNS (else the per-user cache's runs/); bounded by $SPHEREFACE_VIZ_RUNS_MB (0: no store)."""
    megabytes = float(os.environ.get("SPHEREFACE_VIZ_RUNS_MB") or DEFAULT_MB)
    if megabytes <= 0:
        return None
    url = os.environ.get("SPHEREFACE_VIZ_STORE")
    if url:
        from .redis_store import RedisStore

        return RedisStore(url, int(megabytes * 2**20))
    root = os.environ.get("SPHEREFACE_VIZ_RUNS")
    if not root:
        import pooch

        root = Path(pooch.os_cache("sphereface-viz")) / "runs"
    return RunStore(root, int(megabytes * 2**20))


# One per server process: every session of the app shares it (and, through the folder, other processes).
STORE = default_store()
