"""Present mode: the teacher drives one run, and the room follows it live.

A `Presentation` holds the teacher's run (player, trainer, view) in the process, not in a browser session: a reload
of the presenter link, or the same link on another laptop, drives the same run. Its `stage` (sphereface_viz.stage)
builds each frame once for the teacher and every student, and its `settings` (the teacher's page as a link's query,
read back through sphereface_viz.links like any link) are what the students' controls mirror; each change of them
is announced in the next frame (`Stage.restyle`).

Two links, two secrets of 128 random bits each:
- the presenter link carries `secret`, which only the teacher keeps: whoever holds it drives the run;
- the student link carries `room`, derived from the secret by a hash: it finds the run and tells nothing of the
  secret, so a student link can never drive.

The run is written to the run store under a key derived from the secret (`Player.present`), with its settings
beside it: when the teacher's process is killed, the presenter link opened again goes on from there (`revive`).
Through the store, students whose pages another app process serves follow it too (sphereface_viz.relay), and a
presenter link opened on another process while this one presents is told so (`ELSEWHERE`), not given a second run.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from . import relay
from .player import Player
from .recipe import TrainConfig
from .stage import Stage
from .store import Store
from .trainer import Trainer

KEEP_FOR = 3 * 3600       # seconds a presentation nobody has opened stays in the process
MOST = 64                 # presentations in one process; past it the longest unopened goes
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what a secret or a room in a link may look like before it is looked up
ELSEWHERE = "elsewhere"   # `revive`'s answer when another app process presents the run now


def _digest(kind: str, secret: str) -> str:
    return hashlib.sha256(f"{kind}:{secret}".encode()).hexdigest()[:32]


def room_of(secret: str) -> str:
    """The student link's id: found from the secret, never the other way round."""
    return _digest("room", secret)


def store_key(secret: str) -> str:
    """The run store's key of a presented run: from the secret, so nothing a student sends names it."""
    return "present-" + _digest("store", secret)


@dataclass(eq=False)
class Presentation:
    secret: str
    stage: Stage = field(default_factory=lambda: Stage("the teacher"))
    settings: dict = field(default_factory=dict)  # the teacher's page as a link's query: {key: text}
    opened_at: float = field(default_factory=time.monotonic)
    presenters: dict = field(default_factory=dict)  # each presenter page's session → "is its browser connected?"

    @property
    def room(self) -> str:
        return room_of(self.secret)

    @property
    def player(self) -> Player | None:
        return self.stage.player

    @property
    def trainer(self) -> Trainer | None:
        return self.stage.trainer

    @property
    def view(self):
        return self.stage.shown and self.stage.shown[2]

    def show(self, player: Player, trainer: Trainer, view, extras=lambda view: {}) -> None:
        """The run presented from now on (a reset brings a new one), written to the store as it goes, and trained
        while any presenter page is open."""
        player.present(trainer, store_key(self.secret), lambda: {"presentation": dict(self.settings),
                                                                  "playing": player.wanted})
        player.connected = self.connected if self.presenters else None
        self.stage.show(player, trainer, view, extras)
        self.touch()

    def attach(self, session: str, connected) -> None:
        """A presenter page is open (a reload, another laptop): the run trains while any of them is connected.
        connected: that page's check (None outside a server: the player then goes by heartbeats)."""
        if connected is not None:
            self.presenters = {who: check for who, check in self.presenters.items() if check()} | {session: connected}
            if self.player is not None:
                self.player.connected = self.connected
        self.touch()

    def connected(self) -> bool:
        return any(check() for check in list(self.presenters.values()))

    def sprites(self) -> dict | None:
        """The hover images of the view's test images (None for a training window's frames)."""
        return None if self.view.window else self.view.sprites(self.trainer)

    def broadcast(self, store: Store | None) -> None:
        """Students of other app processes follow it through the store (sphereface_viz.relay), while this process
        holds it."""
        if store is not None:
            relay.Outbound(self.room, self.stage, store, lambda: {
                "settings": self.settings, "version": self.stage.version, "run": store_key(self.secret),
                "window": bool(self.view and self.view.window)}, lambda: _ROOMS.get(self.room) is self)

    def mirror(self, settings: dict, live: set[str] = frozenset()) -> None:
        """The teacher's page settings now. A change of any but the `live` ones (which each frame's title and
        numbers carry) is announced with the next frame, and the students' pages lay themselves out again."""
        laid_out = {k: v for k, v in settings.items() if k not in live}
        moved = laid_out != {k: v for k, v in self.settings.items() if k not in live}
        self.settings = dict(settings)
        if moved:
            self.stage.restyle()

    def touch(self) -> None:
        self.opened_at = time.monotonic()

    def copy_run(self) -> Trainer:
        """A trainer of the student's own that goes on from the presented run as it is now (Explore on my own):
        the same weights, live values, snapshots and history; nothing it does reaches the teacher's."""
        player, trainer = self.player, self.trainer
        with player.lock:
            state, snapshots, history = trainer.state(), list(trainer.snapshots), list(trainer.history)
        own = Trainer(trainer.config, trainer.data)
        own.resume(state, snapshots, history)
        own.pristine = False  # the teacher's live changes are in it: a run of its own, never shared by its settings
        return own


_LOCK = threading.Lock()
_REVIVING = threading.Lock()  # one revival at a time: two pages opening one presenter link get one run
_ROOMS: dict[str, Presentation] = {}


def begin(player: Player, trainer: Trainer, view, settings: dict, extras=lambda view: {}, session: str = "",
          connected=None) -> Presentation:
    """Present a page's run: it now belongs to the presentation, whoever opens the presenter link."""
    presentation = Presentation(secrets.token_urlsafe(16), settings=dict(settings))
    presentation.attach(session, connected)
    presentation.show(player, trainer, view, extras)
    with _LOCK:
        _ROOMS[presentation.room] = presentation
        _bound()
    presentation.broadcast(player.store)
    return presentation


def following(room: str, store: Store | None = None) -> Presentation | relay.Remote | None:
    """The presentation a student link names: this process's, else one another process holds, followed through
    `store` (sphereface_viz.relay)."""
    if not isinstance(room, str) or not TOKEN.fullmatch(room):
        return None
    with _LOCK:
        found = _ROOMS.get(room)
    return found or relay.remote(room, store)


def presenting(secret: str) -> Presentation | None:
    """The presentation a presenter link's secret opens, if this process holds it. A room id is not a secret:
    looked up as one, it finds nothing."""
    if not isinstance(secret, str) or not TOKEN.fullmatch(secret):
        return None
    with _LOCK:
        presentation = _ROOMS.get(room_of(secret))
    if presentation is None or not secrets.compare_digest(presentation.secret, secret):
        return None
    presentation.touch()
    return presentation


def revive(secret: str, store: Store | None, start) -> Presentation | str | None:
    """A presentation whose process is gone, from the run store: a new Presentation whose trainer goes on from the
    stored state (playing if it was); start(trainer) -> (player, view, extras) gives it the rest, before any student
    can find it. None if the store holds no such run (or does not answer); ELSEWHERE while another app process
    presents it. A stored value that cannot be read is refused as a damaged run file is (sphereface_viz.store). Two
    pages reviving one presentation at once get the same one."""
    if store is None or not isinstance(secret, str) or not TOKEN.fullmatch(secret):
        return None
    with _REVIVING:
        found = presenting(secret)
        if found is not None:
            return found
        if elsewhere(secret, store):
            return ELSEWHERE
        try:
            entry = store.get(store_key(secret))
        except OSError:
            return None
        settings = entry and entry.meta.get("presentation")
        if entry is None or not isinstance(settings, dict):
            return None
        try:
            trainer = Trainer(TrainConfig.from_dict(entry.config))
            trainer.resume(entry.state, entry.snapshots, entry.history)
        except (ValueError, TypeError, KeyError, RuntimeError, OSError):  # another code's run, or its data gone
            return None
        trainer.pristine = False
        presentation = Presentation(secret, settings={str(k): str(v) for k, v in settings.items()})
        player, view, extras = start(trainer)
        presentation.show(player, trainer, view, extras)
        with _LOCK:
            _ROOMS[presentation.room] = presentation
            _bound()
        presentation.broadcast(store)
        if entry.meta.get("playing") is True:  # the room goes on watching it train, as before the process died
            player.play()
        return presentation


def elsewhere(secret: str, store: Store | None) -> bool:
    """Another app process presents the run of this secret now (it says so in the store: sphereface_viz.relay)."""
    return store is not None and presenting(secret) is None and relay.presented(room_of(secret), store)


def _bound() -> None:
    """At most MOST presentations, none unopened for KEEP_FOR seconds (under _LOCK). One whose presenter's page is
    open is never dropped: a stranger pressing Present many times cannot end a class."""
    now = time.monotonic()
    for room, presentation in list(_ROOMS.items()):
        if now - presentation.opened_at > KEEP_FOR and not presentation.connected():
            del _ROOMS[room]
    idle = sorted((p.opened_at, room) for room, p in _ROOMS.items() if not p.connected())
    for _, room in idle[:max(0, len(_ROOMS) - MOST)]:
        del _ROOMS[room]
