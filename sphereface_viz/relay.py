"""A presented run's live frames across app processes: built once where the run trains, read everywhere else.

A process holding a presentation (sphereface_viz.present) says so every second (`presence`) and, while students on
another process watch it, sends each frame its stage builds down the presentation's channel in the run store
(`Outbound`; Redis's or the folder's, sphereface_viz.store). A process whose student opens the student link but
holds no such presentation follows it through a `Remote`: its `RelayStage` takes each frame from the channel once and
hands it to every page of that process as a local stage does. The settings the students' controls mirror, and
the run's key in the store (to explore from, to draw the hover images), come with each frame.

The channel's name derives from the room by a hash: nothing a browser sends names a key. A frame from the store is
checked as the browser will read it before it reaches a page; one that does not read is dropped.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from . import frames, stage as stage_module
from .recipe import TrainConfig
from .stage import ANSWERS_PER_SECOND, Stage
from .store import Store
from .trainer import Trainer

WAIT = 1.0          # seconds a read of the channel waits for the next frame
RETRY = 2.0         # seconds before a store that failed is asked again
FIRST = 3.0         # seconds a new follower's process waits for a presentation's first frame
MOST = 64           # presentations of other processes followed by this one
RUN = re.compile(r"present-[0-9a-f]{32}")  # a presented run's key in the store (present.store_key)
MAX_SETTINGS, MAX_TEXT = 64, 256  # a relayed presentation's settings: at most this many, each key and value this long


def channel(room: str) -> str:
    """The presentation's channel in the store, from its room (itself a hash of the presenter's secret)."""
    return "room-" + hashlib.sha256(f"channel:{room}".encode()).hexdigest()[:32]


def presence(room: str) -> str:
    """The key the presenting process touches every second: a process following it knows the presentation is alive."""
    return channel(room) + "-live"


def presented(room: str, store: Store) -> bool:
    """Some app process says it presents `room` now (False while the store does not answer)."""
    try:
        return store.wanted(presence(room))
    except OSError:
        return False


def watched(room: str) -> str:
    """The key a following process touches while its pages watch: the presenting process then sends every frame."""
    return channel(room) + "-watched"


class Outbound:
    """The presenting process's side: a thread that says the presentation is here and, while another process watches
    it, announces each frame of `stage` with `meta()` (the settings, their version, the run's key) beside it, until
    alive() is False."""

    def __init__(self, room: str, stage: Stage, store: Store, meta: Callable[[], dict], alive: Callable[[], bool]):
        self.room, self.stage, self.store, self.meta, self.alive = room, stage, store, meta, alive
        self.failure: str | None = None  # why the last announcement failed (the store away), until one succeeds
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), name=f"relay-{channel(room)[:12]}",
                                       daemon=True)
        self.thread.start()

    async def _run(self) -> None:
        sent, name = 0, channel(self.room)
        while self.alive() and not stage_module._CLOSING.is_set():
            try:
                self.store.want(presence(self.room))
                if not self.store.wanted(watched(self.room)):
                    await asyncio.sleep(WAIT)
                    continue
                self.stage.watched_by(self)  # one watching page among this process's: the pace counts it
                got = await self.stage.after(sent, WAIT)
                if got is not None:
                    sent = got[0]
                    self.store.announce(name, got[1], self.meta())
                self.failure = None
            except (OSError, ValueError) as err:
                self.failure = f"{type(err).__name__}: {err}"
                await asyncio.sleep(RETRY)


def checked(message: bytes) -> tuple[dict, bytes]:
    """A frame from the store as the browser will read it (frames.unwire, frames.unpack): its JSON and blob, or
    ValueError."""
    try:
        value, blob = frames.unwire(message)
        header = value["header"]
        arrays = frames.unpack(header, blob)
        if not isinstance(value.get("id"), int) or not all(a.dtype.kind in "iuf" for a in arrays.values()):
            raise ValueError("not a frame")
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:  # struct.error is a ValueError
        raise ValueError(f"a relayed frame does not read ({type(err).__name__}: {err})") from err
    return value, blob


class RelayStage(Stage):
    """A stage whose frames come from a presentation's channel: read once per frame for every page of this process
    that shows it. Each is handed on with this process's shared pace (`watch`), and with a notice of this process's
    when the channel or the store fall silent."""

    def __init__(self, room: str, store: Store):
        super().__init__("the teacher")
        self.room, self.store = room, store
        self.settings: dict[str, str] = {}
        self.meta: dict = {}
        self._heard: str | None = None     # id of the channel's message taken last
        self._latest: tuple[dict, bytes] | None = None  # its JSON and blob, as the presenting process built them
        self._silent: str | None = None    # this process's notice, said instead of the presenting process's

    def refresh(self) -> bool:
        """Take the channel's next frame, waiting up to WAIT seconds; hand it on, or say why none comes."""
        try:
            self.store.want(watched(self.room))
            got = self.store.heard(channel(self.room), self._heard, WAIT)
            if got is None:
                gone = not self.store.wanted(presence(self.room))
                return self._say(f"The teacher's server process stopped answering: the picture stays where it was, "
                                 "and goes on when the teacher opens the presenter link again." if gone else None)
            self._heard = got[0]
            value, blob = checked(got[1])
        except OSError:
            time.sleep(RETRY)
            return self._say("The run store does not answer: the picture stays where it was, and goes on once it "
                             "answers.")
        except ValueError:
            return False  # dropped: the next frame may read
        self._take(got[2])
        self._latest, self._silent = (value, blob), None
        self._hand_on()
        return True

    def _take(self, meta: dict) -> None:
        """The presentation's settings and their version, bounded: they go into a student's controls."""
        settings = meta.get("settings")
        if isinstance(settings, dict) and len(settings) <= MAX_SETTINGS:
            self.settings = {str(k)[:MAX_TEXT]: str(v)[:MAX_TEXT] for k, v in settings.items()}
        version = meta.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            self.version = version
        self.meta = {"run": meta["run"] if isinstance(meta.get("run"), str) and RUN.fullmatch(meta["run"]) else None,
                     "window": bool(meta.get("window"))}

    def _say(self, notice: str | None) -> bool:
        if notice is None or notice == self._silent or self._latest is None:
            return False
        self._silent = notice
        self._hand_on()
        return True

    def _hand_on(self) -> None:
        value, blob = self._latest
        value = {**value, "watch": max(value.get("pace", 0.0), self._watching() / ANSWERS_PER_SECOND), "relayed": True}
        if self._silent:
            value["notice"] = self._silent
        self.frames_built += 1
        self._publish(frames.wire(value.pop("header"), blob, **value))

    def _build(self) -> None:
        self.refresh()  # it waits for the channel's next frame itself


class Remote:
    """A presentation another process holds, as a student's page of this process follows it: its stage, settings
    and, from the run store, its run (to explore from) and hover images."""

    def __init__(self, room: str, store: Store):
        self.room, self.store = room, store
        self.stage = RelayStage(room, store)
        self._sprites: tuple[str, dict] | None = None

    @property
    def settings(self) -> dict:
        return self.stage.settings

    def _stored(self):
        run = self.stage.meta.get("run")
        return None if run is None else self.store.get(run)

    def sprites(self) -> dict | None:
        """The hover images of the test images (None for a training window's frames, or before the run is stored)."""
        run = self.stage.meta.get("run")
        if self.stage.meta.get("window") or run is None:
            return None
        if self._sprites is None or self._sprites[0] != run:
            entry = self._stored()
            if entry is None:
                return None
            images = Trainer(TrainConfig.from_dict(entry.config)).eval_images[:, 0].numpy()
            self._sprites = (run, frames.sprite_sheet(np.asarray(images)))
        return self._sprites[1]

    def copy_run(self) -> Trainer | None:
        """A trainer of the student's own that goes on from the presented run as last stored (every few seconds:
        player.WRITE_PRESENTED), or None if it is not stored yet."""
        entry = self._stored()
        if entry is None:
            return None
        own = Trainer(TrainConfig.from_dict(entry.config))
        own.resume(entry.state, entry.snapshots, entry.history)
        own.pristine = False
        return own


_REMOTES: OrderedDict[str, Remote] = OrderedDict()
_LOCK = threading.Lock()


def remote(room: str, store: Store | None) -> Remote | None:
    """The presentation of another process that a student link names, if its process says it is there: followed
    through the store from now on, its first frame in (up to FIRST seconds). One per room in this process."""
    if store is None:
        return None
    with _LOCK:
        found = _REMOTES.get(room)
        if found is not None:
            _REMOTES.move_to_end(room)
            return found
        if not presented(room, store):
            return None
        found = Remote(room, store)
        deadline = time.monotonic() + FIRST
        while found.stage.message is None and time.monotonic() < deadline:
            found.stage.refresh()
        if found.stage.message is None:
            return None
        _REMOTES[room] = found
        while len(_REMOTES) > MOST:
            _REMOTES.popitem(last=False)
        return found
