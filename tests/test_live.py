"""The live view's engine: a frame only when something shown moved, the test images embedded off the page's
thread while playing, and the frames' pace. The stages and feeds the browser fetches them from: test_stage.py."""
import threading
import time

import pytest

from sphereface_viz import live
from sphereface_viz.player import Player
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.slots import TrainingSlots
from sphereface_viz.trainer import Trainer


def trainer(**kw):
    return Trainer(TrainConfig(**{"width": 4, "threads": 1, "eval_size": 50, "snapshot_every": 10**9, **kw}))


def test_a_view_builds_a_frame_only_when_what_it_shows_has_moved():
    tr = trainer()
    player, view = Player([tr], TrainingSlots(1), "me"), live.View()
    assert view.update(player, tr) and view.frame[0]["step"] == 0
    first = view.id
    assert not view.update(player, tr) and view.id == first  # nothing moved
    tr.step(2)
    assert view.update(player, tr) and view.frame[0]["step"] == 2 and view.id > first
    tr.set_live(m=2.5)  # a live change at the same step is shown too
    assert view.update(player, tr) and "m = 2.5" in view.frame[0]["title"]


def test_while_playing_the_page_never_embeds_and_redraws_when_the_embedding_lands():
    """The forward pass is held back until the page's update has returned: the update draws the latest
    snapshot under the W of now; once the embedding lands, the next update draws it."""
    tr = trainer()
    player, view = Player([tr], TrainingSlots(1), "me"), live.View()
    view.update(player, tr)
    player.wanted = True
    tr.step(3)
    view.embedded_at -= live.EMBED_EVERY  # the last embedding a while ago: this update asks for one
    release, pose = threading.Event(), tr.pose
    tr.pose = lambda: (lambda take: lambda: (release.wait(10), take())[1])(pose())
    began = time.monotonic()
    assert view.update(player, tr)
    assert time.monotonic() - began < 5 and view.moment.snap.step == 0 and view.frame[0]["step"] == 3
    assert not view.update(player, tr)  # nothing new until the embedding lands
    release.set()
    deadline = time.monotonic() + 10
    while tr.snapshots[-1].step != 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert view.update(player, tr) and view.moment.snap.step == 3


def test_a_sphere_comes_less_often_than_a_ring_and_every_frame_slower_when_sessions_outnumber_cores(monkeypatch):
    monkeypatch.setattr(live, "playing", lambda: 1)
    assert live.pace("circle") == live.pace("plane") == live.FRAME_EVERY["circle"]
    assert live.pace("sphere") == live.FRAME_EVERY["sphere"] > live.pace("circle")
    monkeypatch.setattr(live, "playing", lambda: 3 * live.SLOTS.capacity)
    assert live.pace("sphere") == pytest.approx(3 * live.FRAME_EVERY["sphere"])
    view = live.View()
    view.update(Player([trainer(dim=3)], TrainingSlots(1), "me"), view_trainer := trainer(dim=3))
    assert view_trainer and view.pace == live.pace("sphere")
