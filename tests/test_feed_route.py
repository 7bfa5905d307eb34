"""The route the live views fetch their frames from (pages/ui/feed_route.py), called as the server calls it: a frame
as soon as one moved, 204 after waiting for one in vain, 409 once not playing, 404 for a token nobody holds."""
import asyncio
import time

from starlette.requests import Request

from pages.ui import feed_route
from sphereface_viz import frames, live
from sphereface_viz.player import Player
from sphereface_viz.stage import Feed, Stage
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.slots import TrainingSlots
from sphereface_viz.trainer import Trainer


def request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": feed_route.PATH, "query_string": query.encode(),
                    "headers": []})


def get(query: str):
    return asyncio.run(feed_route.frame(request(query)))


def served():
    tr = Trainer(TrainConfig(width=4, threads=1, eval_size=50, snapshot_every=10**9))
    player, view, feed = Player([tr], TrainingSlots(1), "me", connected=lambda: True), live.View(), Feed(Stage())
    player.heartbeat = lambda: None  # no training thread: the test steps the trainer itself
    feed.stage.show(player, tr, view)
    return tr, player, view, feed


def test_a_token_nobody_holds_is_not_found_however_long():
    assert get("feed=nobody").status_code == 404
    assert get("feed=" + "x" * 10_000).status_code == 404
    assert get("").status_code == 404


def test_a_playing_feed_answers_its_next_frame_and_not_twice(monkeypatch):
    monkeypatch.setattr(feed_route, "WAIT", 0.2)
    tr, player, view, feed = served()
    assert get(f"feed={feed.token}").status_code == 409  # paused
    player.wanted = True
    answer = get(f"feed={feed.token}")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    message, blob = frames.unwire(answer.body)
    assert (message["header"], blob) == view.frame
    began = time.monotonic()
    assert get(f"feed={feed.token}").status_code == 204  # nothing moved: it waited, then said so
    assert time.monotonic() - began >= 0.2


def test_a_waiting_request_answers_as_soon_as_training_moves(monkeypatch):
    monkeypatch.setattr(feed_route, "WAIT", 5.0)
    tr, player, view, feed = served()
    player.wanted = True
    get(f"feed={feed.token}")
    loop = asyncio.new_event_loop()
    loop.call_later(0.3, lambda: player.lock.acquire() and (tr.step(1), player.lock.release()))  # as training does
    began = time.monotonic()
    answer = loop.run_until_complete(feed_route.frame(request(f"feed={feed.token}")))
    loop.close()
    assert answer.status_code == 200 and frames.unwire(answer.body)[0]["header"]["step"] == 1
    assert 0.3 <= time.monotonic() - began < 2.0
