"""The live view's engine, shared by the Train, Compare and Sweep pages: which moment of training a
redraw shows, how often, and its frame of plain arrays (sphereface_viz.frames). Pages lay out controls
and hand values here.

One frame while playing, from training to the screen:
1. The browser asks the page's feed for the next frame (an HTTP request, pages/ui/feed_route.py) once it
   has drawn the last one and waited out its pace. No Streamlit rerun carries a frame: a rerun's work in the
   server and in the browser's page is what training would lose to it. The feed reads a stage
   (sphereface_viz.stage), which builds each frame once for every page that shows it.
2. `View.update` asks the player for a consistent moment (a lock taken between two steps): W, the
   loss's values, the status, the latest training batches. The test images are embedded (a forward pass,
   ~150 ms of a core for 2,000 MNIST images, docs/benchmarks.md) at most once per EMBED_EVERY seconds, by
   the embedding thread (player.EMBEDDER); the frames between draw the latest embedding under the W of now.
3. `frames.build` labels the regions with the loss's own logits (remembered by content) and packs the
   arrays; nothing is built when nothing moved, and the request waits a little for something to move.
4. The browser draws it (pages/ui/feature_view.js), waits out `pace()`, and asks again.
While paused, a page's own runs draw its views (a Step, a changed slider): the frame travels in the
component's arguments.
"""
from __future__ import annotations

import itertools
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from . import frames
from .player import Player, playing
from .plots import default_radius
from .slots import SLOTS
from .trainer import Trainer

# Seconds between a session's frames, by the frame's kind, while its server has a core for each playing session.
# A frame costs the server's threads and the browser CPU that the training thread then lacks, GIL included (one
# thread in pure Python a fifth of the time slows training by a sixth, bench/gil_share.py). A sphere's frame costs
# about twice a ring's (two rasters of 16,200 cells, 2,000 points painted on a globe), so it comes less often: at
# these paces MNIST 3-D trains at 85-91% of its headless speed, digits 2-D at 87-93% (docs/benchmarks.md).
FRAME_EVERY = {"circle": 0.09, "plane": 0.09, "sphere": 0.15}
EMBED_EVERY = 1.0   # seconds between embeddings of the test images while playing
NOTICE_EVERY = 1.0  # seconds: a live page reruns this often while playing (its frames are fetched, not rerun),
                    # so its notices (waiting for a slot, following another session) stay true
FRAME_IDS = itertools.count(1)  # frame ids, growing in the process: the page skips one no newer than it shows
SCORE_EVERY = 1.0   # seconds between scores of the training window while playing (2,000 points: ~20 ms)


def pace(kind: str = "circle") -> float:
    """Seconds between a session's frames of this kind (frames.kind_of): FRAME_EVERY, stretched when more
    sessions play than the server has cores. One process draws for every student, and frames that cannot
    keep up would starve the training they show."""
    return FRAME_EVERY[kind] * max(1.0, playing() / SLOTS.capacity)


@dataclass
class View:
    """What one picture of one trainer keeps from frame to frame."""

    project: bool = False   # features moved onto the unit circle / sphere
    window: bool = False    # draw the latest training batches instead of the test images
    wrap: bool = False      # the title's values on a second line (small panels)
    id: int = 0             # of the latest frame, unique in the process: a reset's new view must not repeat one
    frame: tuple | None = None
    moment: object = None   # player.Frame of the latest frame
    radius: float | None = None
    shown: tuple = ()       # what the latest frame was drawn from: a new frame only when it changes
    embedded_at: float = -math.inf
    scored_at: float = -math.inf
    window_scores: dict = field(default_factory=dict)
    _sprites: tuple | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # the page's run and its stage's driver

    def update(self, player: Player, trainer: Trainer, radius: float | None = None) -> bool:
        """Build the next frame if anything it shows has moved; True if it did. radius: a ring radius
        given by the page (one for several panels); by default the view's own, which grows at once
        and shrinks slowly so the picture stays still while the features settle."""
        with self._lock:
            return self._update(player, trainer, radius)

    def _update(self, player: Player, trainer: Trainer, radius: float | None) -> bool:
        window = self.window and not player.shares(trainer)  # a shared run has no batches of this session's
        loss = trainer.loss
        embedded = trainer.snapshots[-1].step if trainer.snapshots else None
        shown = (trainer.step_count, embedded, player.replaying(trainer), repr(loss.hparams()),
                 getattr(loss, "lam", None), self.project, window, radius, trainer.stopped)
        if self.frame is not None and shown == self.shown:
            return False
        now = time.monotonic()
        embed = not player.wanted or now - self.embedded_at >= EMBED_EVERY
        score_window = not player.wanted or now - self.scored_at >= SCORE_EVERY
        moment = player.moment(trainer, test=embed, score_window=score_window, background=player.wanted)
        if embed:
            self.embedded_at = now
        if score_window:
            self.scored_at, self.window_scores = now, moment.train_scores
        if window:
            features, labels = moment.window[0].numpy(), np.asarray(trainer.seen)[moment.window[1].numpy()]
        else:
            features, labels = moment.snap.features, trainer.eval_labels.numpy()
        if radius is None and not frames.on_unit(moment.loss, features.shape[1], self.project):
            fit = default_radius(features, self.project)
            radius = self.radius = fit if self.radius is None else max(fit, self.radius * 0.98)
        self.frame = frames.build(moment.loss, features, labels, trainer.data.class_names, trainer.seen,
                                  step=moment.status["step"], project=self.project, radius=radius, wrap=self.wrap,
                                  indexed=not window and len(labels) <= frames.MAX_POINTS)
        if not moment.replayed:  # the snapshot drawn is the latest: one that lands later is news
            shown = (shown[0], moment.snap.step, *shown[2:])
        self.moment, self.shown, self.id = moment, shown, next(FRAME_IDS)
        return True

    def sprites(self, trainer: Trainer) -> dict:
        """The test images' sprite sheet (frames.sprite_sheet), made once per trainer."""
        if self._sprites is None or self._sprites[0] is not trainer:
            self._sprites = (trainer, frames.sprite_sheet(trainer.eval_images[:, 0].numpy()))
        return self._sprites[1]

    @property
    def pace(self) -> float:
        """`pace` of this view's latest frame."""
        return pace(self.frame[0]["kind"])

    @property
    def scores(self) -> dict:
        """The test images' scores of the latest frame, with the training window's of the latest scoring."""
        return {**self.moment.scores, **self.window_scores}
