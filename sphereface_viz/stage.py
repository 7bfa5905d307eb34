"""A live picture built once per moment, whoever watches it: how one run reaches a lecture hall.

A `Stage` shows one trainer of one player through one `live.View`. When a page asks for news (`Stage.after`), the
stage's driver thread builds the next frame if the picture has moved and its pace has passed, packs it into one
message (frames.wire) and hands the same bytes to every page waiting. A hundred students cost one frame, one
embedding and one region raster per moment, and a hundred HTTP answers; a page that has the latest message waits
for the next without a thread of its own.

A `Feed` is one page's reader of a stage, found by a secret token (pages/ui/feed_route.py). A page that drives its
player reads its own stage; a page whose player follows a run that another session of this process trains reads
that session's stage instead (`PRODUCERS`), and a student follows a teacher's (sphereface_viz.present).

Every message says which stage built it, whether its player plays, following another session's training of the run
(`follows`), whether the page driving it runs again by itself (`leads`, `Player.leads`) and, for a page watching a
stage that is not its own, why the picture moves or not (`notice`): what such a page says travels with its frames,
and it needs no Streamlit rerun to stay true.
"""
from __future__ import annotations

import asyncio
import atexit
import math
import secrets
import threading
import time
import weakref
from collections.abc import Callable

from . import frames
from .live import View
from .player import Player
from .trainer import Trainer

POLL = 0.04             # seconds between looks at a picture that has not moved while a page waits for news
WATCHED_FOR = 5.0       # seconds a driver goes on after the last page asked: then it ends, until one asks again
# Answers a second that the pages watching a stage, all of them together, ask for. Each answer costs the server's
# event loop ~0.35 ms of its one interpreter, which the training thread beside it then lacks (GIL included,
# bench/gil_share.py): a hundred students at 2.5 frames a second each cost it a tenth of a core, and the teacher's
# training keeps its pace (docs/deployment.md, "A lecture hall"). The page that drives the stage keeps its own pace.
ANSWERS_PER_SECOND = 250
IDLE_LOOK = 0.1         # seconds between looks at a paused player by an idle feed's request (`Feed.idle`)
STAGES: weakref.WeakSet = weakref.WeakSet()  # every stage of this process
_STAGES_LOCK = threading.Lock()  # a page's run adds a stage while a request looks for a producer among them
# The stage of each untouched run that a session of this process trains, by the run's key and what a view draws,
# once a follower has found it (`producer`): a session following that run reads it instead of building the same
# frames again.
PRODUCERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_CLOSING = threading.Event()  # the process is exiting: drivers stop (see `_close`)


class Stage:
    """One picture of one trainer, for every page that shows it. `host` names who drives it, in what a watching
    page is told ("the teacher", "another session"); `live`, what it is told while the run trains live."""

    def __init__(self, host: str = "another session", live: str | None = None):
        self.id = secrets.token_urlsafe(8)  # names the stage in its messages: a page tells its own from another's
        self.host, self.live = host, live or f"Following {host}'s training, live."
        self.shown: tuple | None = None     # (player, trainer, view, extras, least pace)
        self.version = 0                    # of the settings a watching page mirrors (a presentation's)
        self.number, self.message = 0, None  # messages published so far, and the latest
        self.frames_built = 0               # messages built: one per moment and notice, whoever watches
        self._published: tuple | None = None
        self._built_at = -math.inf
        self._lock = threading.Lock()       # one builder at a time
        self._guard = threading.Lock()      # the waiting pages and the driver
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._demand = threading.Event()    # a page waits for a newer message than the latest
        self._asked_at = -math.inf
        self._watchers: dict[int, float] = {}  # id of each watching page's feed → when it last asked
        self._driver: threading.Thread | None = None
        self.failure: str | None = None     # why the latest frame could not be built (the one before stays)
        with _STAGES_LOCK:
            STAGES.add(self)

    def show(self, player: Player, trainer: Trainer, view: View, extras: Callable[[View], dict] = lambda view: {},
             pace: float = 0.0) -> None:
        """What the stage shows from now on (a reset swaps the trainer). extras: the message's further values, of
        the view's latest frame (run by the driver: it reads no session state). pace: seconds at least between
        two frames."""
        self.shown = (player, trainer, view, extras, pace)

    @property
    def player(self) -> Player | None:
        return self.shown and self.shown[0]

    @property
    def trainer(self) -> Trainer | None:
        return self.shown and self.shown[1]

    def restyle(self) -> None:
        """The settings a watching page mirrors have changed: the next message says so."""
        self.version += 1
        self.refresh()

    # --- building ------------------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Build the next message if the picture, the notice or the settings moved, and hand it to every page
        waiting; True if it did."""
        if self.shown is None:
            return False
        began = time.monotonic()  # the pace runs from the ask, not from the build: a page that asks at its pace
        with self._lock:          # must not wait a build's time more each frame
            player, trainer, view, extras, pace = self.shown
            try:
                view.update(player, trainer)
                self.failure = None
            except Exception as err:  # noqa: BLE001 - the last picture stays, and the pages are told why
                if view.frame is None:
                    raise
                self.failure = f"{type(err).__name__}: {err}"
            notice, follows, leads = self.notice(), player.wanted and id(trainer) in player.following, player.leads
            published = (view.id, notice, self.version, follows, leads)
            if published == self._published:
                return False
            pace = max(view.pace, pace)
            message = frames.wire(*view.frame, id=view.id, pace=pace, watch=max(pace, self._watching() /
                                                                                 ANSWERS_PER_SECOND),
                                  stage=self.id, notice=notice, settings=self.version, follows=follows,
                                  leads=leads, **extras(view))
            self._published, self._built_at = published, began
            self.frames_built += 1
            self._publish(message)  # under the builder's lock: two builders never publish out of order
        return True

    def produces(self, key: str, view: View) -> bool:
        """This stage shows the untouched run `key` as its player trains it now, drawn as `view` draws."""
        player, trainer, shown = self.shown[:3]
        return (player.keys.get(id(trainer)) == key and trainer.pristine and id(trainer) not in player.following
                and id(trainer) not in player.private and player.alive
                and (shown.project, shown.window) == (view.project, view.window))

    def notice(self) -> str:
        """What a page watching this stage, not driving it, is told: always something, so it never stalls
        silently."""
        player, trainer = self.shown[0], self.shown[1]
        host = self.host[0].upper() + self.host[1:]
        if self.failure:
            return f"The server could not draw {self.host}'s run ({self.failure}); the picture stays where it was."
        if player.failed:
            return f"{host}'s training stopped ({player.failed}): the picture stays where it stopped."
        if trainer.stopped:
            return f"{host}'s run stopped: {trainer.stopped}."
        if not player.wanted:
            return f"{host} paused: the picture goes on when {self.host} plays again."
        if not player.alive:
            return (f"{host}'s page is closed: the picture stays where it stopped, and goes on when {self.host} "
                    "opens it again.")
        if player.store_error and player.following:
            return (f"{host}'s run cannot be followed now: the run store does not answer. The picture stays where it "
                    "was, and goes on once it answers.")
        if player.waiting:
            return f"{host}'s run is waiting for a free training slot; it goes on by itself."
        if player.replaying(trainer) is not None:
            return f"{host}'s run is catching up from the run store."
        return self.live

    # --- pages waiting for news ------------------------------------------------------------------------------
    def watched_by(self, feed: "Feed") -> None:
        """A page that does not drive this stage asked for news: it counts among those the pace is shared by."""
        with self._guard:
            self._watchers[id(feed)] = time.monotonic()

    def _watching(self) -> int:
        """Pages watching, not driving, that asked within WATCHED_FOR seconds."""
        now = time.monotonic()
        with self._guard:
            self._watchers = {k: t for k, t in self._watchers.items() if now - t < WATCHED_FOR}
            return len(self._watchers)

    def _publish(self, message: bytes) -> None:
        with self._guard:
            self.number, self.message = self.number + 1, message
            waiting, self._waiting = self._waiting, []
            self._demand.clear()
        loops: dict = {}
        for loop, future in waiting:
            loops.setdefault(loop, []).append(future)
        for loop, futures in loops.items():  # one wake-up per event loop, however many pages wait on it
            try:
                loop.call_soon_threadsafe(_wake, futures, self.number, message)
            except RuntimeError:  # that loop has closed
                pass

    async def after(self, number: int, timeout: float) -> tuple[int, bytes] | None:
        """The first message newer than `number` (at once if there is one), or None after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        with self._guard:
            self._asked_at = time.monotonic()
            if self.number > number:
                return self.number, self.message
            future = loop.create_future()
            self._waiting.append((loop, future))
            self._demand.set()
            if self._driver is None or not self._driver.is_alive():
                self._driver = threading.Thread(target=self._drive, name=f"stage-{self.id}", daemon=True)
                self._driver.start()
        expiry = loop.call_later(timeout, _wake, [future], None, None)  # cheaper than asyncio.wait_for's task
        try:
            got = await future
        finally:
            expiry.cancel()
        return None if got[0] is None else got

    def _drive(self) -> None:
        """Build frames while pages wait for them: one per pace at most, and only when one waits (a frame nobody
        fetches is never built), until no page has asked for WATCHED_FOR seconds."""
        while not _CLOSING.is_set():
            if not self._demand.wait(timeout=WATCHED_FOR):
                with self._guard:
                    if not self._demand.is_set() and time.monotonic() - self._asked_at >= WATCHED_FOR:
                        self._driver = None
                        return
                continue
            self._build()
            with self._guard:  # pages that gave up waiting leave cancelled futures behind
                self._waiting = [(loop, future) for loop, future in self._waiting if not future.done()]
                if not self._waiting:
                    self._demand.clear()

    def _build(self) -> None:
        """The driver's next frame, at the stage's pace."""
        player, _, view, _, pace = self.shown
        if view.frame is not None and player.wanted:
            time.sleep(max(0.0, self._built_at + max(view.pace, pace) - time.monotonic()))
        try:
            built = self.refresh()
        except Exception:  # noqa: BLE001 - no first picture to keep: the driver lives on, and tries again
            built = False
        if not built:
            time.sleep(POLL)


@atexit.register
def _close() -> None:
    """Stop every driver before the interpreter finalises: a daemon thread killed inside torch aborts the process
    (C++'s terminate), and a CLI or test run would exit non-zero."""
    _CLOSING.set()
    for stage in list(STAGES):
        stage._demand.set()
        driver = stage._driver
        if driver is not None:
            driver.join(timeout=5)


def _wake(futures: list, number: int | None, message: bytes | None) -> None:
    for future in futures:
        if not future.done():
            future.set_result((number, message))


class Feed:
    """One page's reader of a stage while it shows it live: the next message newer than the last it was given.
    own: the page drives the stage's player (its fetches are the page's heartbeat, and it stops asking when
    paused, unless `idle`: then it asks on while paused, and the first frame after Play comes as soon as Play is
    pressed, not once the page's run after the press is over); a student's feed of a teacher's stage is not own, and
    asks as long as the page is open.

    FEEDS finds a feed by its token, a secret of 128 random bits that only its own page is given: one session
    cannot read another's feed. It holds feeds weakly: a feed lives as long as its session."""

    def __init__(self, stage: Stage, own: bool = True, idle: bool = False):
        self.token = secrets.token_urlsafe(16)
        self.stage, self.own, self.idle = stage, own, idle
        self._reading: Stage | None = None
        self.sent = 0  # number of the message of `_reading` sent last
        FEEDS[self.token] = self

    def source(self) -> Stage:
        """The stage this page reads now: its own, or, while its player follows an untouched run that another
        session of this process trains with the same view, that session's (`PRODUCERS`)."""
        stage = self.stage
        if not self.own:  # a student's: the teacher's stage, here or relayed from another process (sphereface_viz.relay)
            return stage
        player, trainer, view = stage.shown[:3]
        if id(trainer) in player.following:
            other = producer(player.keys.get(id(trainer)), view)
            if other is not None:
                player.borrowed[id(trainer)] = time.monotonic()
                return other
        return stage

    async def next(self, timeout: float) -> bytes | None | bool:
        """The next message (frames.wire), waiting up to `timeout` seconds for one; None if none came; False when
        the page drives a player that is not playing (the browser then stops asking, until its page plays)."""
        player = self.stage.player
        if self.own and not player.wanted:
            if not self.idle:
                return False
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not player.wanted:  # a room pressing Play at once waits for a hundred page runs: frames need not
                if loop.time() >= deadline:
                    return None
                await asyncio.sleep(IDLE_LOOK)
        if self.own:
            player.heartbeat()  # a page that asks for frames is alive, whether or not Streamlit reran it lately
        source = self.source()
        if source is not self._reading:
            self._reading, self.sent = source, 0
        if source is not self.stage or not self.own:
            source.watched_by(self)
        got = await source.after(self.sent, timeout)
        if got is None:
            return None
        self.sent = got[0]
        return got[1]


def producer(key: str | None, view: View) -> Stage | None:
    """The stage of this process showing run `key` as a session trains it, drawn as `view` draws (`Stage.produces`),
    or None. Found among all stages the first time, whether or not it has built a frame yet: when a room presses
    Play at once, a follower that drew its own first frame until the training session's was built would embed the
    test images a hundred times over, and the training session's first frame would queue behind them all."""
    if key is None:
        return None
    found = PRODUCERS.get((key, view.project, view.window))
    if found is not None and found.produces(key, view):
        return found
    with _STAGES_LOCK:
        stages = list(STAGES)
    found = next((stage for stage in stages if stage.shown is not None and stage.produces(key, view)), None)
    if found is not None:
        PRODUCERS[(key, view.project, view.window)] = found
    return found


FEEDS: weakref.WeakValueDictionary[str, Feed] = weakref.WeakValueDictionary()
