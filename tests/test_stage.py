"""Stages and feeds (sphereface_viz.stage): a frame is built once per moment whoever watches, every page gets the same
bytes, a page that watches another's stage is told why it moves or not, and feeds are found by secret tokens only."""
import asyncio
import gc
import time

from sphereface_viz import frames, live
from sphereface_viz.player import Player
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.slots import TrainingSlots
from sphereface_viz.stage import FEEDS, PRODUCERS, Feed, Stage
from sphereface_viz.store import RunStore
from sphereface_viz.trainer import Trainer


def trainer(**kw):
    return Trainer(TrainConfig(**{"width": 4, "threads": 1, "eval_size": 50, "snapshot_every": 10**9, **kw}))


def staged(host="the teacher", **kw):
    """A stage showing a trainer whose player plays without a training thread: the test steps the trainer."""
    tr = trainer(**kw)
    player = Player([tr], TrainingSlots(1), "me", connected=lambda: True)
    player.heartbeat = lambda: None
    player.wanted = True
    stage = Stage(host)
    stage.show(player, tr, live.View(), lambda v: {"numbers": [{"label": "Step", "value": str(v.moment.status["step"])}]})
    return tr, player, stage


def fetch(feeds, timeout=5.0):
    async def all_of():
        return await asyncio.gather(*(feed.next(timeout) for feed in feeds))
    return asyncio.run(all_of())


def test_a_frame_is_built_once_per_moment_however_many_pages_watch():
    built = {}
    for watchers in (1, 100):
        tr, player, stage = staged()
        feeds = [Feed(stage, own=False) for _ in range(watchers)]
        messages = []
        for moment in range(3):
            got = fetch(feeds)
            assert all(message is got[0] for message in got)  # the very same bytes for every page
            messages.append(frames.unwire(got[0])[0])
            with player.lock:  # between two of the driver's looks, as training steps
                tr.step(1)
        assert [m["header"]["step"] for m in messages] == [0, 1, 2]
        assert [m["numbers"][0]["value"] for m in messages] == ["0", "1", "2"]
        built[watchers] = stage.frames_built
    assert built == {1: 3, 100: 3}


def test_pages_watching_a_stage_share_a_pace_and_the_driving_page_keeps_its_own():
    from sphereface_viz import stage as staging
    tr, player, stage = staged()
    watchers = [Feed(stage, own=False) for _ in range(100)]
    fetch(watchers)
    with player.lock:
        tr.step(1)
    message = frames.unwire(fetch([Feed(stage)])[0])[0]  # the teacher's own page asks
    assert message["pace"] == stage.shown[2].pace  # the driving page: its view's pace
    assert message["watch"] == 100 / staging.ANSWERS_PER_SECOND  # a hundred watchers share 250 answers a second


def test_a_page_that_has_the_latest_message_waits_for_the_next_and_hears_nothing_if_nothing_moves():
    tr, player, stage = staged()
    feed = Feed(stage, own=False)
    assert fetch([feed])[0] is not None
    began = time.monotonic()
    assert fetch([feed], timeout=0.3) == [None]
    assert time.monotonic() - began >= 0.3 and stage.frames_built == 1


def test_a_page_that_drives_its_player_stops_asking_when_paused_and_a_watching_page_never_does():
    tr, player, stage = staged()
    own, watching = Feed(stage), Feed(stage, own=False)
    player.wanted = False
    assert fetch([own]) == [False]
    message = frames.unwire(fetch([watching])[0])[0]
    assert message["notice"] == "The teacher paused: the picture goes on when the teacher plays again."
    assert message["stage"] == stage.id and message["id"] == stage.shown[2].id


def test_a_watching_page_is_told_why_the_picture_moves_or_not():
    tr, player, stage = staged()
    feed = Feed(stage, own=False)

    def notice():
        return frames.unwire(fetch([feed])[0])[0]["notice"]
    assert notice() == "Following the teacher's training, live."
    player.connected = lambda: False
    assert notice().startswith("The teacher's page is closed: the picture stays where it stopped")
    player.connected = lambda: True
    player._waiting = [True]
    assert notice() == "The teacher's run is waiting for a free training slot; it goes on by itself."
    player._waiting = [False]
    tr.stopped = "the loss became nan at step 3"
    assert notice() == "The teacher's run stopped: the loss became nan at step 3."
    tr.stopped = None
    view = stage.shown[2]
    view.update = lambda *a: 1 / 0  # a frame that cannot be built: the last picture stays, and the pages are told
    assert notice() == ("The server could not draw the teacher's run (ZeroDivisionError: division by zero); the "
                        "picture stays where it was.")


def test_new_settings_reach_a_waiting_page_even_when_the_picture_is_still():
    tr, player, stage = staged()
    feed = Feed(stage, own=False)
    first = frames.unwire(fetch([feed])[0])[0]
    assert first["settings"] == 0
    loop = asyncio.new_event_loop()
    loop.call_later(0.2, stage.restyle)
    message = loop.run_until_complete(feed.next(5.0))
    loop.close()
    again = frames.unwire(message)[0]
    assert again["settings"] == 1 and again["id"] == first["id"]  # the same frame, news of the settings


def test_a_session_following_a_run_reads_the_stage_of_the_session_that_trains_it(tmp_path):
    store = RunStore(tmp_path, 2**26)
    players, stages = [], []
    for who in ("trains", "follows"):
        tr = trainer()
        player = Player([tr], TrainingSlots(1), who, store=store, connected=lambda: True)
        player.heartbeat = lambda: None  # no training thread: the test looks at the store itself
        player.wanted = True
        stage = Stage()
        stage.show(player, tr, live.View())
        players.append(player), stages.append(stage)
    players[0]._share(lane=0)  # claims the run
    players[1]._share(lane=0)  # finds it claimed: follows
    assert not players[0].following and players[1].following
    follower = Feed(stages[1])
    assert stages[0].frames_built == 0
    assert follower.source() is stages[0]  # found before it built a frame: the follower builds none of its own
    assert PRODUCERS[(players[0].keys[id(players[0].trainers[0])], False, False)] is stages[0]
    message = frames.unwire(fetch([follower])[0])[0]
    assert message["stage"] == stages[0].id and message["notice"] == "Following another session's training, live."
    assert stages[1].frames_built == 0  # the follower built nothing of its own
    players[0].trainers[0].pristine = False  # a live change: the producer's run is its own, no longer the link's
    assert follower.source() is stages[1]
    players[0].trainers[0].pristine = True
    assert follower.source() is stages[0]
    players[0].connected = lambda: False  # the training session's page is gone: the follower shows its own stage
    assert follower.source() is stages[1]


def test_feeds_are_found_by_an_unguessable_token_and_forgotten_with_their_session():
    stage = Stage()
    feeds = [Feed(stage) for _ in range(50)]
    tokens = {feed.token for feed in feeds}
    assert len(tokens) == 50 and all(len(t) >= 21 for t in tokens)  # 128 random bits each
    assert all(FEEDS[feed.token] is feed for feed in feeds)
    token = feeds[0].token
    del feeds[0]
    gc.collect()
    assert token not in FEEDS
