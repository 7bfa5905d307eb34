"""Play / Pause for the app: trainers step in a background thread; the page draws from them at its own pace.

Training and drawing are kept apart, as in TensorFlow Playground: a redraw (snapshot, figure, its
JSON, the browser) costs tens of milliseconds, and training only between redraws would leave the
CPU idle for that long four times a second. Here training goes on while the page draws; `lock`
makes every read of a trainer see it between two steps.

The thread trains only while it holds a training slot (sphereface_viz.slots), in bursts, and only
while the page keeps calling `heartbeat()`: a closed or disconnected tab stops costing CPU within
`patience` seconds, and a page that reconnects resumes it with its next heartbeat.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
import time

from .slots import TrainingSlots
from .trainer import Snapshot, Trainer


@dataclass
class Frame:
    """One moment of a trainer, for drawing: nothing here reaches back into the trainer."""

    snap: Snapshot          # evaluation images' features and W (may be older than status, see moment)
    scores: dict            # test accuracy and compactness of snap
    window: tuple           # (features, labels) of the latest training batches, labels as the loss's classes
    train_scores: dict      # compactness of the window, keys train_*
    status: dict            # step, loss, lr, λ, ... now
    loss: object            # a copy of the loss now, for drawing


class PageFirstLock:
    """A re-entrant lock that a waiting page gets before the training thread's next step.

    The training loop releases its lock after every step and takes it again at once; with a plain lock
    the page's waiting thread rarely won that race, and a redraw of the live view waited up to 0.8 s
    (dozens of steps) for it. Here a page queues at `gate` and the training thread must pass the gate
    before each step (`between_steps`), so a page waits for at most the step under way."""

    def __init__(self):
        self.gate, self.inner = threading.RLock(), threading.RLock()

    def acquire(self, blocking: bool = True) -> bool:
        if not self.gate.acquire(blocking):
            return False
        try:
            return self.inner.acquire(blocking)
        finally:
            self.gate.release()

    def release(self) -> None:
        self.inner.release()

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()

    def between_steps(self):
        """For the training thread: wait while a page is queued, then hold the lock for one step."""
        with self.gate:
            pass
        return self.inner


class Player:
    def __init__(self, trainers: list[Trainer], slots: TrainingSlots, who: str, burst: float = 0.25,
                 patience: float = 3.0, until_end: bool = False):
        """trainers: stepped round robin (the Compare page's losses get the same number of steps).
        until_end: each trainer stops at the end of its schedule (a sweep compares finished runs)."""
        self.trainers, self.slots, self.who, self.until_end = list(trainers), slots, who, until_end
        self.burst, self.patience = burst, patience
        self.lock = PageFirstLock()  # re-entrant: a page may hold it around several moments
        self.wanted = False      # the user pressed Play
        self.waiting = False     # queued for a training slot
        self._seen = time.monotonic()
        self._thread: threading.Thread | None = None
        self._scored: dict[int, tuple[Snapshot, dict]] = {}  # per trainer: the last snapshot scored, its scores

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> str | None:
        """A trainer's reason for stopping (a non-finite loss), if any."""
        return next((t.stopped for t in self.trainers if t.stopped), None)

    def play(self) -> None:
        self.wanted = True
        self.heartbeat()

    def pause(self) -> None:
        self.wanted = False
        if self._thread is not None:
            self._thread.join()
        self.slots.leave(self.who)

    def heartbeat(self) -> None:
        """The page is alive: keep training (or resume it, after a reconnection)."""
        self._seen = time.monotonic()
        if self.wanted and not self.stopped and not self.running:
            self._thread = threading.Thread(target=self._train, name=f"player-{self.who}", daemon=True)
            self._thread.start()

    def moment(self, trainer: Trainer, test: bool = True) -> Frame:
        """What a redraw needs, all of the same step: a snapshot of the evaluation images (reused if no
        step since), their scores, the training window and its scores, the status, and a copy of the
        loss for drawing while training goes on. The snapshot's forward pass runs outside the lock, on a
        copy of the model, so training does not wait for it. test=False skips that forward pass (the
        page draws the training window) and scores the latest snapshot there is."""
        with self.lock:
            latest = trainer.snapshots[-1] if trainer.snapshots else None
            if latest is not None and (latest.step == trainer.step_count or not test):
                snap, take = latest, None
            else:
                snap, take = None, trainer.pose()
            status, loss, window = trainer.status(), copy.deepcopy(trainer.loss), trainer.train_window()
        if take is not None:
            snap = take()
            with self.lock:
                trainer.keep(snap)
        # A snapshot is scored once, with the loss of its own step when test=True: drawing the training
        # window reuses it between test snapshots, and 2,000 points' pair angles cost ~27 ms a redraw.
        scored, scores = self._scored.get(id(trainer), (None, None))
        if scored is not snap:
            scores = trainer.score_snapshot(snap, loss)
            self._scored[id(trainer)] = (snap, scores)
        return Frame(snap, scores, window, trainer.train_scores(window), status, loss)

    def unfinished(self) -> list[Trainer]:
        if not self.until_end:
            return self.trainers
        return [t for t in self.trainers if t.step_count < t.total_steps]

    def _alive(self) -> bool:
        return self.wanted and not self.stopped and time.monotonic() - self._seen < self.patience

    def _train(self) -> None:
        while self._alive():
            with self.slots.slot(self.who, timeout=0.25) as granted:
                self.waiting = not granted
                end = time.monotonic() + self.burst
                while granted and time.monotonic() < end and self._alive():
                    with self.lock.between_steps():
                        for trainer in self.unfinished():
                            trainer.step(1)
                    if not self.unfinished():
                        self.wanted = False
        self.waiting = False
        if self.stopped:
            self.wanted = False
