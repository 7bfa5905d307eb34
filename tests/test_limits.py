"""The server's memory budget: a new training is refused, with a message, when it would pass it."""
from sphereface_viz import limits


def test_a_session_is_refused_near_the_memory_budget(monkeypatch):
    used = limits.resident_mb()
    assert used is not None and used > 10  # this process: python, torch and numpy at least
    monkeypatch.setenv("SPHEREFACE_VIZ_MEMORY_MB", str(used + limits.SESSION_MB + limits.STEP_MB - 1))
    message = limits.no_room_for_a_session()
    assert message and "memory budget" in message and "MB in use" in message
    monkeypatch.setenv("SPHEREFACE_VIZ_MEMORY_MB", str(used + limits.SESSION_MB + limits.STEP_MB + 200))
    assert limits.no_room_for_a_session() is None


def test_the_default_budget_is_most_of_the_machine(monkeypatch):
    monkeypatch.delenv("SPHEREFACE_VIZ_MEMORY_MB", raising=False)
    with open("/proc/meminfo") as info:
        total_kb = int(info.readline().split()[1])
    assert abs(limits.memory_budget_mb() - 0.8 * total_kb / 1024) < 1


def test_resident_memory_follows_an_allocation():
    import numpy as np

    before = limits.resident_mb()
    block = np.ones(64 * 2**20, np.uint8)  # written, so resident
    assert limits.resident_mb() - before > 48
    del block
