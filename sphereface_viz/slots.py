"""Training slots: at most `capacity` sessions of one server train at the same moment.

A class of students shares the server's cores. Without a cap, twenty sessions training at once make
every step twenty times slower and every redraw late, so all of them stall together. With it, a
session trains only while it holds a slot, gives the slot back after each short burst and queues
again at the back: the sessions take turns in arrival order, each keeps progressing, and the ones
waiting are told their place in the queue.
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager


class TrainingSlots:
    def __init__(self, capacity: int, patience: float = 2.0):
        """`patience`: seconds after which a waiting session that stopped asking (closed its tab,
        paused) leaves the queue, so it cannot hold up the ones behind it."""
        if int(capacity) < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.capacity, self.patience = int(capacity), float(patience)
        self._cond = threading.Condition()
        self._waiting: dict[str, float] = {}  # session → last time it asked, in arrival order
        self._busy: set[str] = set()
        self._asking: set[str] = set()  # waiting inside acquire() right now

    def _forget_stale(self, now: float) -> None:
        for who in [w for w, seen in self._waiting.items() if now - seen > self.patience]:
            del self._waiting[who]

    def _its_turn(self, who: str) -> bool:
        """A free slot goes to the earliest arrivals among the sessions asking for one now; a session
        busy drawing between its asks keeps its place without holding a free slot idle."""
        ahead = 0
        for other in self._waiting:
            if other == who:
                return ahead < self.capacity - len(self._busy)
            ahead += other in self._asking
        return False

    def acquire(self, who: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a slot; a session that gets none keeps its place."""
        with self._cond:
            now = time.monotonic()
            self._forget_stale(now)
            self._waiting[who] = now  # updating keeps the arrival order
            self._asking.add(who)
            try:
                if not self._cond.wait_for(lambda: who in self._waiting and self._its_turn(who), timeout):
                    return False
            finally:
                self._asking.discard(who)
                self._cond.notify_all()  # sessions behind a timed-out one may now be first
            del self._waiting[who]
            self._busy.add(who)
            return True

    def release(self, who: str) -> None:
        with self._cond:
            self._busy.discard(who)
            self._cond.notify_all()

    def leave(self, who: str) -> None:
        """Stop waiting (Pause, Reset): a session that does not want to train holds no place."""
        with self._cond:
            self._waiting.pop(who, None)
            self._cond.notify_all()

    @contextmanager
    def slot(self, who: str, timeout: float):
        """`with slots.slot(id, t) as granted:` trains only if granted; the slot is always given back."""
        granted = self.acquire(who, timeout)
        try:
            yield granted
        finally:
            if granted:
                self.release(who)

    @contextmanager
    def spare(self, who: str):
        """`with slots.spare(id) as granted:` a slot now, only if one is free and no session waits for one: a
        session's further training threads (player.Player's lanes) never go ahead of another session."""
        with self._cond:
            self._forget_stale(time.monotonic())
            granted = not self._waiting and len(self._busy) < self.capacity
            if granted:
                self._busy.add(who)
        try:
            yield granted
        finally:
            if granted:
                self.release(who)

    def position(self, who: str) -> int | None:
        """1 for the first session waiting, None when not waiting."""
        with self._cond:
            order = list(self._waiting)
            return order.index(who) + 1 if who in order else None

    def load(self) -> tuple[int, int]:
        """(sessions training, sessions waiting)."""
        with self._cond:
            self._forget_stale(time.monotonic())
            return len(self._busy), len(self._waiting)


def default_capacity() -> int:
    """$SPHEREFACE_VIZ_TRAINING_SLOTS, else one slot per core: each session trains with one thread."""
    value = os.environ.get("SPHEREFACE_VIZ_TRAINING_SLOTS")
    if value is None:
        return max(1, os.cpu_count() or 1)
    try:
        return max(1, int(value))
    except ValueError:
        raise ValueError(f"SPHEREFACE_VIZ_TRAINING_SLOTS must be a whole number, got {value!r}") from None


# One per server process: every session of the app shares it.
SLOTS = TrainingSlots(default_capacity())
