"""Play / Pause for the app: trainers step in a background thread (a lane of them, several for a sweep);
the page draws from them at its own pace, and the test images are embedded in a thread of their own.

Training and drawing are kept apart, as in TensorFlow Playground: a redraw (snapshot, figure, its
JSON, the browser) costs tens of milliseconds, and training only between redraws would leave the
CPU idle for that long at every redraw. Here training goes on while the page draws; `lock`
makes every read of a trainer see it between two steps.

The thread trains only while it holds a training slot (sphereface_viz.slots), in bursts, and only
while the page is there (`alive`): given a `connected` check, for as long as the browser is connected,
however slowly it draws; without one (AppTest, unit tests), for `patience` seconds after each
`heartbeat()`. A closed or disconnected tab stops costing CPU, and a page that reconnects resumes
training with its next heartbeat.

With a run store (sphereface_viz.store) a class trains each untouched run once: a trainer whose run
is stored further than it has got takes that state and replays the recorded snapshots on screen in a
few seconds (`Replay`); while another session trains the same run it follows, waiting on the store
instead of a training slot; otherwise it trains, and writes its run to the store every second.
"""
from __future__ import annotations

import copy
import math
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import nullcontext
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import torch

from .slots import SLOTS, TrainingSlots
from .store import PATIENCE, Store, pack, run_key, writer_id
from .trainer import Snapshot, Trainer

FOLLOW_EVERY = 0.25    # seconds between looks at the store while another session trains the run
WRITE_EVERY = 1.0      # seconds between writes of a run other sessions follow
WRITE_ALONE = 10.0     # ... of a run nobody follows (each write costs a snapshot and ~2 MB of arrays)
WRITE_PRESENTED = 5.0  # ... of a presented run, kept for its presenter link should the process die (`present`)
REPLAY_SECONDS = 4.0   # a whole schedule taken from the store plays on screen in this long
BORROWED_FOR = 2.0     # seconds a page's last draw of another local session's frames of the run counts (`borrowed`)
STORE_RETRY = 2.0      # seconds before a store that failed is asked again (an unreachable Redis costs a timeout a call)
PLAYERS = weakref.WeakSet()  # every Player of this process, for `playing()`
# The test images' forward passes of playing pages, off the pages' own threads: a slider's rerun never waits
# behind one. As many threads as training slots (each pass holds a core for ~150 ms), at most one pass per
# trainer queued.
EMBEDDER = ThreadPoolExecutor(max_workers=SLOTS.capacity, thread_name_prefix="embed")


@dataclass
class Frame:
    """One moment of a trainer, for drawing: nothing here reaches back into the trainer."""

    snap: Snapshot          # evaluation images' features and W (may be older than status, see moment)
    scores: dict            # test accuracy and compactness of snap
    window: tuple           # (features, labels) of the latest training batches, labels as the loss's classes
    train_scores: dict      # compactness of the window, keys train_*
    status: dict            # step, loss, lr, λ, ... now
    loss: object            # a copy of the loss now, for drawing
    replayed: bool = False  # a recorded step shown by a replay: no training window of its own


@dataclass
class Replay:
    """Steps start → end of a run taken from the store, shown over `seconds` from `began`."""

    start: int
    end: int
    began: float
    seconds: float

    def step(self, now: float) -> int | None:
        """The step on screen now, or None once the replay is over."""
        done = 1.0 if self.seconds <= 0 else (now - self.began) / self.seconds
        return None if done >= 1.0 else self.start + round(done * (self.end - self.start))


class PageFirstLock:
    """A re-entrant lock that a waiting page gets before the training thread's next step.

    The training loop releases its lock after every step and takes it again at once; with a plain lock
    a waiting page rarely wins that race and can wait dozens of steps (up to 0.8 s, docs/benchmarks.md).
    Here a page queues at `gate` and the training thread must pass the gate before each step
    (`between_steps`), so a page waits for at most the step under way."""

    def __init__(self):
        self.gate, self.inner = threading.RLock(), threading.RLock()
        self._owner, self._depth = None, 0  # the thread holding the lock through acquire(), and how often

    def acquire(self, blocking: bool = True) -> bool:
        """A thread that holds the lock already takes it again without the gate: through the gate it would
        wait for a thread queued there, which waits for this one's lock (the Sweep page's every panel under
        one lock froze that way while its own player wanted to write the run)."""
        if self._owner == threading.get_ident():
            self.inner.acquire()
            self._depth += 1
            return True
        if not self.gate.acquire(blocking):
            return False
        try:
            if not self.inner.acquire(blocking):
                return False
        finally:
            self.gate.release()
        self._owner, self._depth = threading.get_ident(), 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
        self.inner.release()

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()

    def between_steps(self):
        """For the training thread: wait while a page is queued, then hold the lock for one step."""
        with self.gate:
            pass
        return self.inner


class EveryLock:
    """The locks of several lanes as one, taken in order: a page reading trainers of every lane."""

    def __init__(self, locks: list[PageFirstLock]):
        self.locks = locks

    def __enter__(self):
        for lock in self.locks:
            lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        for lock in reversed(self.locks):
            lock.release()


class Player:
    def __init__(self, trainers: list[Trainer], slots: TrainingSlots, who: str, burst: float = 0.25,
                 patience: float = 3.0, until_end: bool = False, store: Store | None = None,
                 connected: Callable[[], bool] | None = None, lanes: int = 1):
        """trainers: stepped round robin (the Compare page's losses get the same number of steps).
        until_end: each trainer stops at the end of its schedule (a sweep compares finished runs).
        store: share untouched runs with every other session through it.
        connected: whether the page's browser is still connected. Given, training goes on for as long as
        it is, however slowly the page draws; without it, for `patience` seconds after each heartbeat.
        lanes: training threads, each stepping every lanes-th trainer under a lock of its own, so a sweep
        trains on several cores. The first lane with trainers left (the lead) queues for a slot; the others
        train beside it only in a slot nobody waits for (`TrainingSlots.spare`), never ahead of another
        session."""
        self.trainers, self.slots, self.who, self.until_end = list(trainers), slots, who, until_end
        self.store, self.writer = store, writer_id(who)
        self.keys = {id(t): run_key(t) for t in self.trainers} if store else {}
        self.private: dict[int, Callable[[], dict]] = {}  # per trainer: a presented run's what-else-to-record (`present`)
        # per trainer: when a page last drew its run's frames from the session of this process that trains it
        # (sphereface_viz.stage.Feed): while it does, nothing need be taken from the store
        self.borrowed: dict[int, float] = {}
        self.following: set[int] = set()     # trainers whose run another session is training now
        self.replays: dict[int, Replay] = {}
        self._embedding: dict[int, Future] = {}  # per trainer: its forward pass under way in EMBEDDER
        self._written: dict[int, int] = {}   # per trainer: the last step written to the store (or taken from it)
        self._written_at: dict[int, float] = {}
        self.burst, self.patience, self.connected = burst, patience, connected
        self.store_error: str | None = None  # the run store failed: training goes on, and writes again once it answers
        self._store_retry = -math.inf        # when a store that failed is asked again
        self._store_back = -math.inf         # when it answered again
        self.failed: str | None = None       # the training thread died, and why
        self.lanes = max(1, min(int(lanes), len(self.trainers)))
        # re-entrant: a page may hold one around several moments
        self._locks = [PageFirstLock() for _ in range(self.lanes)]
        self.lock = self._locks[0] if self.lanes == 1 else EveryLock(self._locks)
        self.wanted = False      # the user pressed Play
        self._waiting = [False] * self.lanes  # per lane: queued for a training slot
        self._training = [False] * self.lanes  # per lane: in a burst, holding a slot
        self._seen = time.monotonic()
        self._threads: list[threading.Thread] = []
        PLAYERS.add(self)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    @property
    def waiting(self) -> bool:
        """Queued for a training slot (only the lead lane ever queues)."""
        return any(self._waiting)

    @property
    def stopped(self) -> str | None:
        """A trainer's reason for stopping (a non-finite loss), if any."""
        return next((t.stopped for t in self.trainers if t.stopped), None)

    def play(self) -> None:
        """Play. Whether another session trains a run already is looked up at once, not by the training thread a
        moment later: the page laid out after the press knows whether it follows (and needs no periodic rerun)."""
        for lane in range(self.lanes):
            self._guarded(self._share, lane=lane)
        self.wanted = True
        self.heartbeat()

    def pause(self) -> None:
        self.wanted = False
        for thread in self._threads:
            thread.join()
        for lane in range(self.lanes):
            self.slots.leave(self._slot_id(lane))
        self.replays.clear()  # a paused page shows where the trainer is, not a replay's passing frame

    def present(self, trainer: Trainer, key: str, meta: Callable[[], dict]) -> None:
        """The trainer's run is a presentation's (sphereface_viz.present): written to the store under `key` every
        WRITE_PRESENTED seconds, with `meta()` beside it, live changes and all, so that it goes on from there when
        its process is killed; never shared with sessions of the same settings, nor taken from them."""
        if self.store is not None:
            self.store.release(self.keys[id(trainer)], self.writer)  # its settings' run is another's to train now
            self.keys[id(trainer)], self.private[id(trainer)] = key, meta
            self.following.discard(id(trainer))
            self._written.pop(id(trainer), None)

    def heartbeat(self) -> None:
        """The page is alive: keep training (or resume it, after a reconnection)."""
        self._seen = time.monotonic()
        if self.wanted and not self.stopped and not self.running:
            self._threads = [threading.Thread(target=self._train, args=(lane,), name=f"player-{self.who}-{lane}",
                                              daemon=True) for lane in range(self.lanes)]
            for thread in self._threads:
                thread.start()

    @property
    def leads(self) -> bool:
        """Playing, and training at least one of its runs itself, not following each from another session: its
        page runs again by itself meanwhile (a follower's frames come by themselves, and it has no periodic run)."""
        return self.wanted and any(id(t) not in self.following for t in self.trainers)

    @property
    def alive(self) -> bool:
        """Playing, with a page still there: connected, or (without a way to tell) one that still asks."""
        if not self.wanted:
            return False
        if self.connected is not None:
            return self.connected()
        return time.monotonic() - self._seen < self.patience

    def shares(self, trainer: Trainer) -> bool:
        """The trainer shows another session's training, live or replayed: it has no batches of its own."""
        return id(trainer) in self.following or self.replaying(trainer) is not None

    def sharing(self, trainer: Trainer) -> str | None:
        """What a page should say: "following" while another session trains this run, "replaying" while
        a stored run plays on screen (not the sub-second catch-ups of following), else None."""
        if id(trainer) in self.following:
            return "following"
        replay = self.replays.get(id(trainer))
        if replay is not None and replay.seconds >= 1.0 and self.replaying(trainer) is not None:
            return "replaying"
        return None

    def replaying(self, trainer: Trainer) -> int | None:
        """The recorded step a replay shows now, or None."""
        replay = self.replays.get(id(trainer))
        return None if replay is None else replay.step(time.monotonic())

    def moment(self, trainer: Trainer, test: bool = True, score_window: bool = True,
               background: bool = False) -> Frame:
        """What a redraw needs, all of the same step: a snapshot of the evaluation images (reused if no
        step since), their scores, the training window and its scores, the status, and a copy of the
        loss for drawing while training goes on. The snapshot's forward pass runs outside the lock, on a
        copy of the model, so training does not wait for it. test=False skips that forward pass (the
        page draws the training window) and scores the latest snapshot there is. background=True (while
        playing) hands the forward pass to the embedding thread (`EMBEDDER`) and returns the latest snapshot
        at once, so a redraw never waits for it; the new snapshot is in `trainer.snapshots` when done.
        score_window=False skips the window's scores (2,000 points' pair angles: ~20 ms): train_scores is
        empty. During a replay, the recorded snapshot due now, drawn with the loss of its own step, with the
        training window's scores it recorded."""
        shown = self.replaying(trainer)
        if shown is not None:
            with self.lock:
                snap = next((s for s in reversed(trainer.snapshots) if s.step <= shown), trainer.snapshots[0])
                loss = trainer.loss.at(snap.weight, snap.bias, snap.metrics)
                status = trainer.recorded_status(snap)
            window = torch.empty(0, trainer.config.dim), torch.empty(0, dtype=torch.long)
            return Frame(snap, self._scores(trainer, snap, loss), window, trainer.recorded_train_scores(snap),
                         status, loss, replayed=True)
        embedding = self._embedding.get(id(trainer))
        if embedding is not None and embedding.done():
            del self._embedding[id(trainer)]
            embedding.result()  # a forward pass that failed fails this redraw, with its reason
            embedding = None
        with self.lock:
            latest = trainer.snapshots[-1] if trainer.snapshots else None
            take = None
            if test and embedding is None and (latest is None or latest.step != trainer.step_count):
                take = trainer.pose()
            status, loss, window = trainer.status(), copy.deepcopy(trainer.loss), trainer.train_window()
        snap = latest
        if take is not None and background and latest is not None:
            self._embedding[id(trainer)] = EMBEDDER.submit(self._embed, trainer, take, window, loss)
        elif take is not None:
            snap = self._embed(trainer, take, window, loss)
        # following another session's training, this one has no window: the latest snapshot's record of it
        recorded = trainer.recorded_train_scores(latest) if latest is not None else {}
        train_scores = (trainer.train_scores(window) or recorded) if score_window else {}
        return Frame(snap, self._scores(trainer, snap, loss), window, train_scores, status, loss)

    def _embed(self, trainer: Trainer, take, window, loss) -> Snapshot:
        """Embed a posed snapshot and score it, with no lock held; then record it for replay like any
        snapshot, so a follower whose latest snapshot is one of these has its training numbers too."""
        snap = trainer.record_window(take(), window)
        self._scores(trainer, snap, loss)
        with self.lock:
            trainer.keep(snap)
        return snap

    @staticmethod
    def _scores(trainer: Trainer, snap: Snapshot, loss) -> dict:
        """A snapshot is scored once, with the loss of its own step when test=True: drawing the training
        window reuses it between test snapshots, 2,000 points' pair angles cost ~20 ms a redraw, and a
        stored snapshot is shared by every session replaying it."""
        if snap.scores is None:
            snap.scores = trainer.score_snapshot(snap, loss)
        return snap.scores

    def unfinished(self) -> list[Trainer]:
        if not self.until_end:
            return self.trainers
        return [t for t in self.trainers if t.step_count < t.total_steps]

    def _lane(self, lane: int) -> list[Trainer]:
        return self.trainers[lane::self.lanes]

    def _slot_id(self, lane: int) -> str:
        return self.who if lane == 0 else f"{self.who}#{lane}"

    def _mine(self, lane: int = 0) -> list[Trainer]:
        """The unfinished trainers of this lane this session trains itself."""
        ours = {id(t) for t in self._lane(lane)}
        return [t for t in self.unfinished() if id(t) in ours and id(t) not in self.following]

    def _alive(self) -> bool:
        return self.alive and not self.stopped

    def _train(self, lane: int = 0) -> None:
        lock = self._locks[lane]
        try:
            while self._alive():
                self._guarded(self._share, lane=lane)
                if not self._mine(lane):
                    self._waiting[lane] = False
                    time.sleep(FOLLOW_EVERY)
                    continue
                # the first lane with trainers left queues for a slot; the others train beside it, never in a
                # slot it gave back for a moment
                lead = next(k for k in range(self.lanes) if k == lane or self._mine(k))
                if lane == lead:
                    slot = self.slots.slot(self._slot_id(lane), timeout=0.25)
                else:
                    slot = self.slots.spare(self._slot_id(lane)) if self._training[lead] else nullcontext(False)
                with slot as granted:
                    self._waiting[lane], self._training[lane] = not granted and lane == lead, granted
                    end = time.monotonic() + self.burst
                    while granted and time.monotonic() < end and self._alive() and self._mine(lane):
                        with lock.between_steps():
                            for trainer in self._mine(lane):
                                trainer.advance(1)
                        if not self.unfinished():
                            self.wanted = False
                    self._training[lane] = False
                if not granted and lane != lead:
                    time.sleep(self.burst)  # no spare slot now: look again after a burst of the lead's
                self._guarded(self._write, lane=lane)
                if not granted:  # queued for a slot: a run nobody steps must not keep others following it
                    self._guarded(self._release, lane=lane)
        except Exception as err:  # a bug or a broken dataset: the page says what stopped training
            self.failed, self.wanted = f"training stopped: {type(err).__name__}: {err}", False
            raise
        finally:
            self._guarded(self._write, lane=lane, every=0.0)
            self._guarded(self._release, lane=lane)
        self._waiting[lane] = False
        if self.stopped:
            self.wanted = False

    # --- the run store ---------------------------------------------------------------------------
    def _guarded(self, call, **options) -> None:
        """A run-store call whose error (a full disk, Redis gone) pauses sharing, not training: the page says why
        (`store_error`), the store is asked again STORE_RETRY seconds later, and once it answers the runs this
        session trains are written again at once (a restarted Redis may have lost them). Followers keep the last
        picture meanwhile."""
        if self.store is None or time.monotonic() < self._store_retry:
            return
        if self.store_error is not None:  # perhaps back: a follower must not claim the run in this very call
            self._store_back = time.monotonic()
        try:
            call(**options)
        except OSError as err:
            why = getattr(err, "strerror", None) or err
            self.store_error = (f"the run store failed ({why}); training goes on, and the run is written to it again "
                                "once it answers")
            self._store_retry = time.monotonic() + STORE_RETRY
            return
        if self.store_error is not None:
            self.store_error = None
            self._written.clear(), self._written_at.clear()

    def _share(self, lane: int) -> None:
        """Take what the store has beyond each untouched trainer of the lane, and see who trains each one now."""
        if self.store is None:
            return
        for trainer in self._lane(lane):
            key = self.keys[id(trainer)]
            if id(trainer) in self.private:
                self.store.want(key)  # a presented run's trainer is there: and it hears at once if the store is not
            if not trainer.pristine or trainer.stopped or id(trainer) in self.private:
                self.following.discard(id(trainer))
                continue
            borrowed = time.monotonic() - self.borrowed.get(id(trainer), -math.inf)
            if id(trainer) in self.following and borrowed < BORROWED_FOR:
                # the page draws the frames of the session of this process that trains the run, which it found training
                # (sphereface_viz.stage.producer): neither its state nor its claim is looked up in the store meanwhile
                # (a hundred followers would read it four hundred times a second); once that session stops, the page
                # draws its own stage, and BORROWED_FOR later this session takes the run on from the store
                continue
            entry = self.store.get(key, beyond=trainer.step_count)
            end = trainer.total_steps if self.until_end else None
            if entry is not None and (end is None or entry.step <= end):
                # just after drawing another session's frames, the page is at that run's step already: no replay
                self._adopt(trainer, entry, self._locks[lane], replay=borrowed >= 4 * BORROWED_FOR)
            if end is not None and trainer.step_count >= end:
                self.following.discard(id(trainer))
            elif id(trainer) in self.following and time.monotonic() - self._store_back < PATIENCE:
                # the store is back, perhaps emptied (a restarted Redis): the session that trained the run takes its
                # claim again first, and writes it again
                self.store.want(key)
            elif self.store.claim(key, self.writer):
                self.following.discard(id(trainer))
            else:
                self.following.add(id(trainer))
                self.store.want(key)

    def _adopt(self, trainer: Trainer, entry, lock: PageFirstLock, replay: bool = True) -> None:
        with lock:
            start = self.replaying(trainer)
            start = trainer.step_count if start is None else start
            share = (entry.step - start) / trainer.total_steps if replay else 0.0
            self.replays[id(trainer)] = Replay(start, entry.step, time.monotonic(), REPLAY_SECONDS * min(1.0, share))
            trainer.resume(entry.state, entry.snapshots, entry.history)
            self._written[id(trainer)] = entry.step

    def _write(self, lane: int, every: float | None = None) -> None:
        """Store the lane's untouched runs this session trained further than the store has them, at most once
        per `every` seconds per trainer (None: WRITE_EVERY if another session follows it, else WRITE_ALONE)."""
        if self.store is None:
            return
        now = time.monotonic()
        for trainer in self._lane(lane):
            private = self.private.get(id(trainer))
            if not (trainer.pristine or private) or trainer.stopped or id(trainer) in self.following or \
                    trainer.step_count <= self._written.get(id(trainer), -1 if private else 0):  # a presented reset too
                continue
            wait = every if every is not None else (
                WRITE_PRESENTED if private else WRITE_EVERY if self.store.wanted(self.keys[id(trainer)]) else WRITE_ALONE)
            if now - self._written_at.get(id(trainer), -float("inf")) < wait:
                continue
            with self._locks[lane]:
                step, data = pack(trainer, self.writer, private() if private else None)
            self.store.put(self.keys[id(trainer)], step, data, replace=bool(private))
            self._written[id(trainer)], self._written_at[id(trainer)] = step, now

    def _release(self, lane: int) -> None:
        if self.store is not None:
            for trainer in self._lane(lane):
                if id(trainer) not in self.private:  # a presented run is never claimed
                    self.store.release(self.keys[id(trainer)], self.writer)
                self.following.discard(id(trainer))


def playing() -> int:
    """Sessions of this process that play a run of their own now (training it or queued for a slot). A session
    following another's training draws that session's frames (sphereface_viz.stage): it adds none of its own."""
    return sum(1 for player in list(PLAYERS) if player.alive and any(id(t) not in player.following
                                                                     for t in player.trainers))
