"""A presented run across app processes (sphereface_viz.relay): the process that trains it sends each frame down the
run store's channel, and another process's students get those very frames, the teacher's settings beside them; a
frame that does not read is dropped, a silent teacher is said, and a presenter link is never driven twice. On both
stores (make_store), and end to end on two app servers sharing one real Redis."""
import asyncio
import time
from urllib.parse import urlsplit

import numpy as np
import pytest

from devtools.appdriver import app_server
from devtools.streamclient import StreamClient
from sphereface_viz import frames, present, relay, store as store_module
from sphereface_viz.stage import ANSWERS_PER_SECOND, Feed
from test_stage import fetch, staged
from test_store import opened, spec, wait_until

ROOM = "r" * 32


@pytest.fixture
def presented(make_store):
    """A teacher's stage on "process A" sending down a channel, and "process B"'s own store instance."""
    tr, player, stage = staged()
    store, alive = make_store(), [True]
    settings = {"loss": "cosface", "m": "0.35"}
    relay.Outbound(ROOM, stage, store, lambda: {"settings": settings, "version": stage.version,
                                                "run": "present-" + "0" * 32, "window": False}, lambda: alive[0])
    relay._REMOTES.clear()
    assert wait_until(lambda: store.wanted(relay.presence(ROOM)), 10)  # the thread has begun
    yield tr, player, stage, opened(*spec(store)), alive, settings
    alive[0] = False
    relay._REMOTES.clear()


def test_another_process_gets_the_teachers_very_frames_and_settings(presented):
    tr, player, stage, elsewhere, _, settings = presented
    remote = relay.remote(ROOM, elsewhere)
    assert remote is not None and remote.settings == settings and remote.stage.version == stage.version
    students = [Feed(remote.stage, own=False) for _ in range(50)]
    fetch(students)  # the picture as it is
    for step in (1, 2):
        with player.lock:
            tr.step(1)
        got = fetch(students)
        assert all(message is got[0] for message in got)  # read once for every page of the process
        value, blob = frames.unwire(got[0])
        ours, our_blob = frames.unwire(stage.message)
        assert value["header"]["step"] == step and value["header"] == ours["header"] and blob == our_blob
        assert value["watch"] == pytest.approx(max(value["pace"], 50 / ANSWERS_PER_SECOND))  # this process's pace
    assert remote.stage.frames_built <= stage.frames_built  # handed on as built: no frame of its own
    settings["m"] = "0.5"
    stage.restyle()  # the teacher's layout changed: the version with the next frame
    assert wait_until(lambda: (fetch(students[:1], timeout=1.0),  # while its pages ask
                               remote.settings["m"] == "0.5" and remote.stage.version == stage.version)[1], 10)


def test_a_frame_that_does_not_read_is_dropped_and_the_last_picture_stays(presented):
    tr, player, stage, elsewhere, alive, _ = presented
    remote = relay.remote(ROOM, elsewhere)
    last = remote.stage.message
    alive[0] = False  # the teacher's process quiet: only what this test sends comes down the channel
    time.sleep(1.5)
    value, blob = frames.unwire(last)
    header = value["header"]
    name = next(iter(header["arrays"]))
    beyond = {**header, "arrays": {**header["arrays"], name: [header["arrays"][name][0], [10**6], 0]}}
    objects = {**header, "arrays": {**header["arrays"], name: ["O", [1], 0]}}
    for bad in (b"\xff" * 10, frames.wire(beyond, blob, id=9), frames.wire(objects, blob, id=9),
                frames.wire(header, blob[:8], id=9)):
        with pytest.raises(ValueError):
            relay.checked(bad)
        elsewhere.announce(relay.channel(ROOM), bad, {"settings": {"m": "9"}})
        assert remote.stage.refresh() is False
    assert remote.stage.message is last and remote.settings["m"] != "9"


def test_students_are_told_when_the_teachers_process_goes(presented, monkeypatch):
    *_, elsewhere, alive, _ = presented
    remote = relay.remote(ROOM, elsewhere)
    monkeypatch.setattr(store_module, "PATIENCE", 0.5)
    alive[0] = False
    feed = Feed(remote.stage, own=False)
    fetch([feed])
    deadline, notice = time.monotonic() + 10, ""  # a presence said before PATIENCE changed lasts its 5 s
    while "stopped answering" not in notice and time.monotonic() < deadline:
        got = fetch([feed], timeout=1.0)[0]
        notice = got and frames.unwire(got)[0]["notice"] or notice
    assert "The teacher's server process stopped answering" in notice


def test_a_presenter_link_is_not_driven_on_two_processes(presented):
    """While one process presents, another that opens the presenter link is told ELSEWHERE, and revives nothing."""
    *_, elsewhere, _, _ = presented
    secret = next(s for s in (f"{i:0>22}" for i in range(10**6)) if present.room_of(s))  # any well-formed secret
    elsewhere.want(relay.presence(present.room_of(secret)))
    assert present.revive(secret, elsewhere, lambda trainer: pytest.fail("revived")) == present.ELSEWHERE
    assert present.elsewhere(secret, elsewhere)


def test_a_student_on_one_app_process_follows_a_teacher_on_another(redis_server):
    """Two app servers sharing one Redis, as deploy/ sets them up; Streamlit's own protocol for the pages."""
    async def scenario(a, b):
        teacher = StreamClient(a)
        await teacher.open("loss=cosface&dim=2&seed=31")
        await teacher.press("Present to the class")
        await asyncio.sleep(2)
        link = next(code for code in teacher.codes if "follow=" in code and "controls" not in code)
        student = StreamClient(b)
        await student.open(urlsplit(link).query)
        await teacher.press("Play")
        pressed = time.monotonic()
        while student.reached(60) is None and time.monotonic() - pressed < 60:
            await asyncio.sleep(0.1)
        assert student.reached(60) is not None, "the teacher's training never reached the other process's page"
        assert "Following the teacher's training, live." in student.notices[-1]
        sent = time.monotonic()
        await teacher.slide("m", 0.3)
        while time.monotonic() - sent < 10 and not any(t >= sent and "m = 0.3 " in title + " "
                                                       for t, _, title in student.frames):
            await asyncio.sleep(0.05)
        assert any("m = 0.3 " in title + " " for _, _, title in student.frames), "the teacher's slider never came"
        assert teacher.errors == student.errors == 0
        for client in (teacher, student):
            await client.close()

    redis_server.client().flushdb()
    env = {"SPHEREFACE_VIZ_STORE": redis_server.url}
    with app_server(None, env=env) as (a, _), app_server(None, env=env) as (b, _):
        asyncio.run(scenario(a, b))


def test_a_channel_name_is_a_hash_of_the_room():
    assert relay.channel(ROOM) != relay.channel(ROOM[:-1] + "s") and ROOM not in relay.channel(ROOM)
    assert np.all([c in "0123456789abcdef-room" for c in relay.channel(ROOM)])
