"""The live view's engine: a frame only when something shown moved, the test images embedded off the page's
thread while playing, the frames' pace, and the feeds the browser fetches them from."""
import gc
import threading
import time

import pytest

from sphereface_viz import frames, live
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


def test_a_feed_sends_each_new_frame_once_with_its_extras_and_only_while_playing():
    tr = trainer()
    player, view, feed = Player([tr], TrainingSlots(1), "me"), live.View(), live.Feed()
    beats = []
    player.heartbeat = lambda: beats.append(1)  # no training thread: the test steps the trainer itself
    assert feed.next() is False  # served nothing yet
    feed.serve(player, tr, view, lambda v: {"numbers": [{"label": "Step", "value": str(v.moment.status["step"])}]})
    assert feed.next() is False and not beats  # paused: the browser stops asking
    player.wanted = True
    message, blob = frames.unwire(feed.next())
    assert (message["header"], blob) == view.frame and message["id"] == view.id
    assert message["pace"] == view.pace and message["numbers"] == [{"label": "Step", "value": "0"}] and beats == [1]
    assert feed.next() is None  # nothing moved
    tr.step(2)
    message, _ = frames.unwire(feed.next())
    assert message["header"]["step"] == 2 and message["numbers"][0]["value"] == "2"
    # a second feed of the same view (Sweep's large panel) gets the frame too, at its own slower pace
    other = live.Feed()
    other.serve(player, tr, view, pace=5.0)
    message, _ = frames.unwire(other.next())
    assert message["id"] == view.id and message["pace"] == 5.0 and "numbers" not in message
    assert other.next() is None and feed.next() is None


def test_feeds_are_found_by_an_unguessable_token_and_forgotten_with_their_session():
    feeds = [live.Feed() for _ in range(50)]
    tokens = {feed.token for feed in feeds}
    assert len(tokens) == 50 and all(len(t) >= 21 for t in tokens)  # 128 random bits each
    assert all(live.FEEDS[feed.token] is feed for feed in feeds)
    token = feeds[0].token
    del feeds[0]
    gc.collect()
    assert token not in live.FEEDS
