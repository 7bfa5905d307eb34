import time

import pytest

from sphereface_viz import player as player_module
from sphereface_viz.player import Player
from sphereface_viz.slots import TrainingSlots
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.trainer import Trainer


def trainer(**kw):
    return Trainer(TrainConfig(**{"width": 4, "threads": 1, "eval_size": 50, "snapshot_every": 10**9, **kw}))


def wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_play_trains_in_the_background_and_pause_stops_it():
    tr = trainer()
    player = Player([tr], TrainingSlots(1), "me")
    player.play()
    assert wait_until(lambda: tr.step_count > 5)
    player.pause()
    assert not player.running
    frozen = tr.step_count
    time.sleep(0.2)
    assert tr.step_count == frozen


def test_reads_under_the_lock_see_one_moment():
    tr = trainer()
    player = Player([tr], TrainingSlots(1), "me")
    player.play()
    try:
        for _ in range(20):
            with player.lock:
                snap = tr.snapshot()
                assert snap.step == tr.step_count == tr.status()["step"]
            player.heartbeat()
            time.sleep(0.01)
    finally:
        player.pause()
    assert tr.step_count > 0


def test_round_robin_gives_every_loss_the_same_steps():
    trainers = [trainer(loss=name) for name in ("softmax", "a_softmax", "arcface")]
    player = Player(trainers, TrainingSlots(1), "cmp")
    player.play()
    wait_until(lambda: trainers[0].step_count > 10)
    player.pause()
    assert len({t.step_count for t in trainers}) == 1


def test_no_heartbeat_no_training_and_a_heartbeat_resumes():
    """A tab that closes or loses its network stops costing CPU; when it comes back, training resumes."""
    tr = trainer()
    player = Player([tr], TrainingSlots(1), "me", patience=0.3)
    player.play()
    assert wait_until(lambda: not player.running, 5)  # no heartbeat for 0.3 s
    stalled = tr.step_count
    time.sleep(0.2)
    assert tr.step_count == stalled and player.wanted  # still "playing" for the user
    player.heartbeat()
    assert wait_until(lambda: tr.step_count > stalled)
    player.pause()


def test_a_full_server_makes_it_wait():
    slots = TrainingSlots(1)
    assert slots.acquire("someone else", 0)
    tr = trainer()
    player = Player([tr], slots, "me")
    player.play()
    assert wait_until(lambda: player.waiting)
    assert tr.step_count == 0 and slots.position("me") == 1
    slots.release("someone else")
    assert wait_until(lambda: tr.step_count > 0)
    player.pause()
    assert not player.waiting


def test_a_diverging_run_stops_the_player_with_the_reason():
    tr = trainer(loss="modified_softmax", lr=1e12)
    player = Player([tr], TrainingSlots(1), "me")
    player.play()
    assert wait_until(lambda: not player.running)
    assert player.stopped and "smaller learning rate" in player.stopped and not player.wanted


def test_a_redraw_embeds_outside_the_lock_and_stays_one_moment():
    """The snapshot's forward pass runs with the lock free (training steps meanwhile), and what comes
    back is still all of the moment the snapshot was posed at."""
    import threading

    import numpy as np

    tr = trainer()
    tr.step(3)
    player = Player([tr], TrainingSlots(1), "me")
    posed, lock_free = {}, []
    pose = tr.pose

    def pose_and_watch():
        posed["features"] = tr.features(tr.eval_images).numpy().copy()
        take = pose()

        def train_meanwhile():
            if player.lock.acquire(blocking=False):
                lock_free.append(True)
                tr.step(2)
                player.lock.release()

        def take_while_training():
            probe = threading.Thread(target=train_meanwhile)
            probe.start()
            probe.join()
            return take()
        return take_while_training

    tr.pose = pose_and_watch
    frame = player.moment(tr)
    snap, status, loss = frame.snap, frame.status, frame.loss
    assert lock_free == [True]
    assert tr.step_count == 5 and snap.step == status["step"] == 3 and tr.snapshots[-1] is snap
    np.testing.assert_allclose(snap.features, posed["features"], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(snap.weight, loss.weight.detach().numpy())


class BusyTrainer:
    """Steps that hold the GIL for ~2 ms each, like a small CNN's Python-heavy step."""
    stopped = None

    def __init__(self):
        self.step_count = 0

    def advance(self, k):
        end = time.perf_counter() + 0.002
        while time.perf_counter() < end:
            pass
        self.step_count += k


def test_a_page_gets_the_lock_within_the_step_under_way():
    """The training loop re-takes the lock right after each step; a page must not wait behind many steps."""
    tr = BusyTrainer()
    player = Player([tr], TrainingSlots(1), "me", burst=10.0)
    player.play()
    try:
        assert wait_until(lambda: tr.step_count > 10)
        waited = []
        for _ in range(50):
            before = tr.step_count
            with player.lock:
                waited.append(tr.step_count - before)
            player.heartbeat()
            time.sleep(0.005)
    finally:
        player.pause()
    assert max(waited) <= 1, waited


def test_until_end_stops_each_trainer_at_the_end_of_its_schedule():
    short, longer = trainer(epochs=0.2), trainer(epochs=0.4)
    player = Player([short, longer], TrainingSlots(1), "me", until_end=True)
    player.play()
    assert wait_until(lambda: not player.running, 60)
    assert not player.wanted
    assert short.step_count == short.total_steps and longer.step_count == longer.total_steps > short.total_steps


def test_drawing_the_training_window_scores_the_latest_test_snapshot_with_its_own_loss():
    """Between test snapshots the frame's test scores are those of the latest snapshot, scored with the
    loss of the snapshot's step (not the loss of the redraw), and the window's scores are fresh."""
    import copy

    import torch

    tr = trainer()
    tr.step(3)
    player = Player([tr], TrainingSlots(1), "me")
    tested = player.moment(tr)
    loss_then = copy.deepcopy(tr.loss)
    with torch.no_grad():
        tr.loss.weight.neg_()  # a loss of the redraw's time that classifies the snapshot's features differently
    tr.step(4)
    drawn = player.moment(tr, test=False)
    assert drawn.snap is tested.snap and drawn.status["step"] == 7
    assert drawn.scores == tr.score_snapshot(tested.snap, loss_then)
    assert drawn.scores["test_accuracy"] != tr.score_snapshot(tested.snap, drawn.loss)["test_accuracy"]
    assert drawn.train_scores == tr.train_scores(tr.train_window())
    assert player.moment(tr).snap.step == 7  # a test moment takes a new snapshot and scores it anew


def test_while_playing_a_redraw_draws_the_latest_snapshot_at_once_and_the_new_one_lands_after():
    """background=True: the redraw does not wait for the forward pass (it is held back here until the redraw
    has returned); the new snapshot, of the step posed, features and scores of its own, is kept when done, and
    the next redraw draws it without embedding again."""
    import threading

    import numpy as np

    tr = trainer()
    tr.step(3)
    player = Player([tr], TrainingSlots(1), "me")
    first = player.moment(tr).snap
    tr.step(2)
    release, pose = threading.Event(), tr.pose

    def held_pose():
        take = pose()
        return lambda: (release.wait(10), take())[1]

    tr.pose = held_pose
    drawn = player.moment(tr, background=True)
    assert drawn.snap is first and drawn.status["step"] == 5 and tr.snapshots[-1] is first
    assert player.moment(tr, background=True).snap is first  # one forward pass per trainer at a time
    release.set()
    assert wait_until(lambda: tr.snapshots[-1].step == 5)
    landed = tr.snapshots[-1]
    np.testing.assert_allclose(landed.features, tr.features(tr.eval_images).numpy(), rtol=1e-6, atol=1e-6)
    assert landed.scores == tr.score_snapshot(landed)
    tr.pose = lambda: pytest.fail("no step since the snapshot: nothing to embed")
    assert player.moment(tr, background=True).snap is landed


def test_a_forward_pass_that_fails_in_the_background_fails_the_next_redraw_with_its_reason():
    tr = trainer()
    tr.step(3)
    player = Player([tr], TrainingSlots(1), "me")
    player.moment(tr)
    tr.step(1)

    def broken_pose():
        def take():
            raise RuntimeError("the images went away")
        return take

    tr.pose = broken_pose
    player.moment(tr, background=True)
    assert wait_until(lambda: all(f.done() for f in player._embedding.values()))
    with pytest.raises(RuntimeError, match="the images went away"):
        player.moment(tr, background=True)


def test_a_snapshot_a_redraw_takes_is_recorded_with_its_training_numbers():
    """The live page's own snapshots go into the recorded run too, so they carry the training window's
    Intra and Fisher score: a session following the run shows them (issue #16)."""
    tr = trainer()
    tr.step(3)  # not at a snapshot's step: the redraw poses one
    window = tr.train_scores(tr.train_window())
    frame = Player([tr], TrainingSlots(1), "me").moment(tr)
    assert tr.snapshots[-1] is frame.snap and frame.snap.step == 3
    assert Trainer.recorded_train_scores(frame.snap) == {k: window[k] for k in ("train_intra", "train_afs")}


def test_a_connected_page_keeps_training_however_late_its_heartbeats_and_a_closed_one_stops():
    """With a connected() check (a Streamlit session's), a page that draws slowly does not stop training;
    only a closed connection does."""
    tr, connected = trainer(), {"now": True}
    player = Player([tr], TrainingSlots(1), "me", patience=0.2, connected=lambda: connected["now"])
    player.play()
    time.sleep(0.6)  # three patiences without a heartbeat
    assert player.running and wait_until(lambda: tr.step_count > 5)
    connected["now"] = False
    assert wait_until(lambda: not player.running)
    frozen = tr.step_count
    time.sleep(0.2)
    assert tr.step_count == frozen
    player.pause()


class BrokenStore:
    """A run store whose disk has gone: every call raises OSError, and is counted."""

    def __init__(self):
        self.calls = 0

    def __getattr__(self, name):
        def broken(*args, **kwargs):
            self.calls += 1
            raise OSError(28, "No space left on device")
        return broken


def test_a_store_that_fails_is_reported_training_goes_on_and_it_is_asked_again_calmly(monkeypatch):
    monkeypatch.setattr(player_module, "STORE_RETRY", 0.5)
    tr = trainer()
    player = Player([tr], TrainingSlots(1), "me", store=None)
    player.store, player.keys = BrokenStore(), {id(tr): "key"}
    player.play()
    began = time.monotonic()
    try:
        assert wait_until(lambda: tr.step_count > 20)
        time.sleep(1.0)
    finally:
        player.pause()
    assert "No space left on device" in player.store_error and "training goes on" in player.store_error
    assert 2 <= player.store.calls <= 2 + (time.monotonic() - began) / 0.5 + 1  # once per STORE_RETRY, not per step


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # raised on, for the log
def test_a_training_thread_that_dies_says_why_and_stops_playing(monkeypatch):
    tr = trainer()

    def broken(n=1):
        raise RuntimeError("the dataset went away")

    monkeypatch.setattr(tr, "advance", broken)
    player = Player([tr], TrainingSlots(1), "me")
    player.play()
    assert wait_until(lambda: player.failed is not None)
    assert player.failed == "training stopped: RuntimeError: the dataset went away" and not player.wanted
    for thread in player._threads:  # its exception is reported in this test (filtered above), not in the next
        thread.join(5)


def test_a_page_holding_the_lock_takes_it_again_while_another_thread_waits_at_the_gate():
    """The Sweep and Compare pages hold the lock around every panel's moment, which takes it again; meanwhile
    their player, writing the run, waits at the gate for it. Re-entry through the gate deadlocked both."""
    import threading

    from sphereface_viz.player import PageFirstLock

    lock, order, holding = PageFirstLock(), [], threading.Event()

    def writer():
        with lock:
            order.append("writer")

    def gate_taken() -> bool:  # by another thread: this one cannot take it
        if lock.gate.acquire(blocking=False):
            lock.gate.release()
            return False
        return True

    def page():
        with lock:
            holding.set()
            deadline = time.monotonic() + 5
            while not gate_taken() and time.monotonic() < deadline:  # the writer queues at the gate
                time.sleep(0.01)
            with lock:  # the panel's own moment
                order.append("page")

    threads = [threading.Thread(target=page, daemon=True)]
    threads[0].start()
    holding.wait(5)
    threads.append(threading.Thread(target=writer, daemon=True))
    threads[1].start()
    for thread in threads:
        thread.join(10)
    assert not any(t.is_alive() for t in threads), "deadlocked"
    assert order == ["page", "writer"]


def test_two_lanes_train_two_trainers_at_once_and_the_pages_lock_holds_both():
    """lanes=2: each trainer is stepped by its lane's thread (two threads, at the same time when two slots are
    free); under the page's lock no trainer moves; a single slot leaves the second lane idle, never queued."""
    import threading

    first, second = trainer(), trainer(seed=1)
    stepped_by = {id(first): set(), id(second): set()}
    inside, overlap = [0], [False]
    guard = threading.Lock()
    for tr in (first, second):
        advance = tr.advance

        def watched(n=1, tr=tr, advance=advance):
            with guard:
                inside[0] += 1
                overlap[0] |= inside[0] > 1
            stepped_by[id(tr)].add(threading.get_ident())
            time.sleep(0.002)  # long enough for the other lane's step to start meanwhile
            try:
                return advance(n)
            finally:
                with guard:
                    inside[0] -= 1
        tr.advance = watched
    player = Player([first, second], TrainingSlots(2), "me", lanes=2)
    player.play()
    assert wait_until(lambda: overlap[0] and first.step_count > 5 and second.step_count > 5)
    with player.lock:
        frozen = first.step_count, second.step_count
        time.sleep(0.2)
        assert (first.step_count, second.step_count) == frozen
    player.pause()
    assert len(stepped_by[id(first)]) == len(stepped_by[id(second)]) == 1
    assert stepped_by[id(first)] != stepped_by[id(second)]

    lone = Player([trainer(), trainer(seed=1)], TrainingSlots(1), "me", lanes=2)
    lone.play()
    assert wait_until(lambda: lone.trainers[0].step_count > 5)
    time.sleep(0.3)
    lone.pause()
    assert lone.trainers[1].step_count == 0 and not lone.waiting  # the slot's one holder: the first lane


def test_a_lane_whose_trainers_are_done_hands_the_lead_to_the_next():
    """until_end with one slot: the first lane trains its short run to the end, then the second lane queues for
    the slot itself and trains its longer run to the end too."""
    short, long = trainer(epochs=0.5), trainer(epochs=1.5, seed=1)
    player = Player([short, long], TrainingSlots(1), "me", until_end=True, lanes=2)
    player.play()
    assert wait_until(lambda: not player.unfinished(), seconds=30)
    assert short.step_count == short.total_steps and long.step_count == long.total_steps > short.total_steps
    assert wait_until(lambda: not player.running)
