import threading
import time

import pytest

from sphereface_viz.slots import TrainingSlots, default_capacity


def test_capacity_is_a_cap_and_a_waiter_keeps_its_place():
    slots = TrainingSlots(2)
    assert slots.acquire("a", 0) and slots.acquire("b", 0)
    assert not slots.acquire("c", 0.01)
    assert slots.position("c") == 1 and slots.load() == (2, 1)
    slots.release("a")
    assert slots.acquire("c", 0.01) and slots.position("c") is None
    assert slots.load() == (2, 0)


def test_first_come_first_served():
    slots = TrainingSlots(1)
    assert slots.acquire("holder", 0)
    assert not slots.acquire("early", 0) and not slots.acquire("late", 0)
    got = []

    def ask(who):
        if slots.acquire(who, 2):
            got.append(who)

    threads = [threading.Thread(target=ask, args=(w,)) for w in ("late", "early")]  # late asks first
    for t in threads:
        t.start()
    time.sleep(0.05)
    slots.release("holder")
    time.sleep(0.05)
    assert got == ["early"]
    slots.release("early")
    for t in threads:
        t.join()
    assert got == ["early", "late"]


def test_a_waiter_that_stops_asking_does_not_block_the_queue():
    slots = TrainingSlots(1, patience=0.05)
    assert slots.acquire("holder", 0)
    assert not slots.acquire("gone", 0)         # then closes its tab
    assert not slots.acquire("next", 0)
    slots.release("holder")
    assert slots.acquire("next", 0.01)          # "gone" is not asking: the free slot is not kept for it
    slots.release("next")
    time.sleep(0.1)
    assert slots.position("gone") is not None and slots.load() == (0, 0)  # stale, forgotten
    assert slots.position("gone") is None


def test_leave_gives_up_the_place():
    slots = TrainingSlots(1)
    assert slots.acquire("a", 0) and not slots.acquire("b", 0)
    slots.leave("b")
    assert slots.position("b") is None


def test_sessions_take_turns():
    """Ten sessions, two slots, each training in short bursts: every one progresses, about equally."""
    slots, bursts, stop = TrainingSlots(2), {f"s{i}": 0 for i in range(10)}, time.monotonic() + 1.0

    def session(who):
        while time.monotonic() < stop:
            with slots.slot(who, 0.05) as granted:
                if granted:
                    bursts[who] += 1
                    time.sleep(0.005)
            time.sleep(0.002)  # drawing between bursts

    threads = [threading.Thread(target=session, args=(w,)) for w in bursts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert min(bursts.values()) >= 0.6 * max(bursts.values()) > 0, bursts


def test_a_spare_slot_is_only_one_free_that_no_session_waits_for():
    slots = TrainingSlots(2)
    assert slots.acquire("a", 0)
    with slots.spare("a#1") as granted:
        assert granted and slots.load() == (2, 0)
    assert slots.load() == (1, 0)  # given back
    assert slots.acquire("c", 0)  # c holds the second slot...
    assert not slots.acquire("b", 0) and slots.position("b") == 1  # ...and b waits for one
    slots.release("c")
    with slots.spare("a#1") as granted:
        assert not granted  # a slot is free, but b waits for it
    assert slots.acquire("b", 0)
    with slots.spare("a#1") as granted:
        assert not granted  # none is free
    slots.release("b")
    slots.release("a")


def test_a_slot_is_returned_when_training_raises():
    slots = TrainingSlots(1)
    with pytest.raises(RuntimeError):
        with slots.slot("a", 0) as granted:
            assert granted
            raise RuntimeError("the loss turned NaN")
    assert slots.load() == (0, 0)


def test_bad_capacity(monkeypatch):
    with pytest.raises(ValueError, match="at least 1"):
        TrainingSlots(0)
    monkeypatch.setenv("SPHEREFACE_VIZ_TRAINING_SLOTS", "many")
    with pytest.raises(ValueError, match="whole number"):
        default_capacity()
    monkeypatch.setenv("SPHEREFACE_VIZ_TRAINING_SLOTS", "3")
    assert default_capacity() == 3
