"""What only the Redis store meets (sphereface_viz.redis_store): Redis stopping mid-run and coming back empty, and
values of the wrong kind. The store's common behaviour is tested on both stores in tests/test_store.py."""
import time

import pytest

from sphereface_viz import live
from sphereface_viz.player import Player
from sphereface_viz.redis_store import RedisStore
from sphereface_viz.slots import TrainingSlots
from sphereface_viz.stage import Stage
from sphereface_viz.store import StoreDown, run_key
from test_store import stored, trainer, wait_until


def test_redis_stopped_mid_run_is_said_training_goes_on_and_the_run_is_written_again(redis_server):
    """Two processes' sessions on one run, Redis stopped and started again empty: within 2 s both pages say why, the
    training session trains on and the follower keeps its last picture; once Redis answers, the training session
    writes its run again (nothing it trained is lost) and the follower follows again."""
    redis_server.client().flushdb()
    slots = TrainingSlots(2)
    a, b = trainer(), trainer()
    teacher = Player([a], slots, "teacher", store=RedisStore(redis_server.url, 2**30))
    student = Player([b], slots, "student", store=RedisStore(redis_server.url, 2**30))  # as another process's
    watching = Stage()
    watching.show(student, b, live.View())
    beat = lambda: (teacher.heartbeat(), student.heartbeat())  # noqa: E731
    teacher.play()
    assert wait_until(lambda: (beat(), a.step_count > 30)[1])
    student.play()
    try:
        assert wait_until(lambda: (beat(), id(b) in student.following and b.step_count > 0)[1])
        redis_server.stop()
        stopped = time.monotonic()
        assert wait_until(lambda: (beat(), teacher.store_error and student.store_error)[1], 10)
        said = time.monotonic() - stopped
        assert said <= 2.0, f"said {said:.1f} s after Redis stopped"
        assert "training goes on" in teacher.store_error and "Redis does not answer" in teacher.store_error
        assert str(redis_server.port) not in teacher.store_error  # a page is not told where Redis is
        assert "cannot be followed now" in watching.notice()
        at_stop, picture = a.step_count, b.step_count
        assert wait_until(lambda: (beat(), a.step_count > at_stop + 50)[1])  # trains on, without the store
        assert b.step_count == picture and id(b) in student.following  # keeps the last picture, trains nothing
        redis_server.start()  # empty: no snapshot, no log
        assert wait_until(lambda: (beat(), teacher.store_error is None and student.store_error is None)[1], 15)
        written = RedisStore(redis_server.url, 2**30)
        assert wait_until(lambda: (beat(), getattr(written.get(run_key(a)), "step", 0) > at_stop + 50)[1], 15)
        assert wait_until(lambda: (beat(), b.step_count > at_stop + 50)[1], 15)  # following again
        assert id(b) in student.following and slots.load()[0] <= 1
    finally:
        teacher.pause(), student.pause()
        if redis_server.process is None:
            redis_server.start()


def test_a_key_of_the_wrong_kind_is_refused_and_trained_again(redis_server):
    redis_server.client().flushdb()
    store = RedisStore(redis_server.url, 2**30)
    tr = trainer()
    tr.step(5)
    key = run_key(tr)
    redis_server.client().set(f"svz:run:{key}", b"\x80\x04not a hash")  # a pickle's first bytes, as a string
    assert store.get(key) is None and not redis_server.client().exists(f"svz:run:{key}")
    assert stored(store, tr) == 5 and store.get(key).step == 5


def test_an_unreachable_redis_says_so_without_its_password(redis_server):
    store = RedisStore(redis_server.url.replace(str(redis_server.port), "1"), 2**30)  # nothing listens on port 1
    with pytest.raises(StoreDown) as raised:
        store.get("k" * 32)
    assert "Redis does not answer" in str(raised.value) and "127.0.0.1" not in str(raised.value)
    assert redis_server.password not in repr(store)
