"""The route the live views fetch their frames from (pages/ui/feed_route.py), called as the server calls it (ASGI, in
front of Streamlit): a frame as soon as one moved, 204 after waiting for one in vain, 409 once not playing, 404 for a
token nobody holds, and every other path handed on to Streamlit."""
import asyncio
import time

from pages.ui import feed_route
from sphereface_viz import frames, live
from sphereface_viz.player import Player
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.slots import TrainingSlots
from sphereface_viz.stage import Feed, Stage
from sphereface_viz.trainer import Trainer


async def asgi(path: str, query: str = "") -> tuple[int, dict, bytes]:
    """One GET through the route: (status, headers, body); status 0 if it went on to Streamlit."""
    sent = []

    async def streamlit(scope, receive, send):
        sent.append({"type": "http.response.start", "status": 0, "headers": []})

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []}
    await feed_route.FramesFirst(streamlit)(scope, None, send)
    head = sent[0]
    return head["status"], dict(head["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def get(query: str, path: str = feed_route.PATH):
    return asyncio.run(asgi(path, query))


def served():
    tr = Trainer(TrainConfig(width=4, threads=1, eval_size=50, snapshot_every=10**9))
    player, view, feed = Player([tr], TrainingSlots(1), "me", connected=lambda: True), live.View(), Feed(Stage())
    player.heartbeat = lambda: None  # no training thread: the test steps the trainer itself
    feed.stage.show(player, tr, view)
    return tr, player, view, feed


def test_a_token_nobody_holds_is_not_found_however_long_and_other_paths_go_to_streamlit():
    assert get("feed=nobody")[0] == 404
    assert get("feed=" + "x" * 10_000)[0] == 404
    assert get("")[0] == 404
    assert get("feed=nobody", path="/_stcore/health")[0] == 0 and get("", path="/")[0] == 0
    assert feed_route.token(b"a=1&feed=abc_-9&b=2") == "abc_-9" and feed_route.token(b"feeds=x") == ""


def test_a_playing_feed_answers_its_next_frame_and_not_twice(monkeypatch):
    monkeypatch.setattr(feed_route, "WAIT", 0.2)
    tr, player, view, feed = served()
    assert get(f"feed={feed.token}")[0] == 409  # paused
    player.wanted = True
    status, headers, body = get(f"feed={feed.token}", path="/some/base" + feed_route.PATH)  # under a base path
    assert status == 200 and headers[b"cache-control"] == b"no-store" and int(headers[b"content-length"]) == len(body)
    message, blob = frames.unwire(body)
    assert (message["header"], blob) == view.frame
    began = time.monotonic()
    assert get(f"feed={feed.token}")[0] == 204  # nothing moved: it waited, then said so
    assert time.monotonic() - began >= 0.2


def test_a_waiting_request_answers_as_soon_as_training_moves(monkeypatch):
    monkeypatch.setattr(feed_route, "WAIT", 5.0)
    tr, player, view, feed = served()
    player.wanted = True
    get(f"feed={feed.token}")
    loop = asyncio.new_event_loop()
    loop.call_later(0.3, lambda: player.lock.acquire() and (tr.step(1), player.lock.release()))  # as training does
    began = time.monotonic()
    status, _, body = loop.run_until_complete(asgi(feed_route.PATH, f"feed={feed.token}"))
    loop.close()
    assert status == 200 and frames.unwire(body)[0]["header"]["step"] == 1
    assert 0.3 <= time.monotonic() - began < 2.0
