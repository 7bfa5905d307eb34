"""The run store (issues #16, #36): a run trained once is replayed by every other session, bounded, atomic, safe
with several processes, and a damaged entry is dropped and trained again; in a folder or in Redis (`make_store`,
tests/conftest.py: every test taking it runs on both)."""
import copy
import multiprocessing
import secrets
import threading
import time

import pytest
import torch

from sphereface_viz import player as player_module
from sphereface_viz import store as store_module
from sphereface_viz.player import Player
from sphereface_viz.slots import TrainingSlots
from sphereface_viz.redis_store import RedisStore
from sphereface_viz.store import PATIENCE, RunStore, pack, run_key
from sphereface_viz.recipe import TrainConfig
from sphereface_viz.trainer import Trainer

SMALL = {"width": 4, "threads": 1, "eval_size": 50, "snapshot_every": 10**9, "max_snapshots": 300}


def trainer(**kw) -> Trainer:
    return Trainer(TrainConfig(**{**SMALL, **kw}))


def wait_until(condition, seconds=30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def same_weights(a: Trainer, b: Trainer) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def stored(store: RunStore, tr: Trainer) -> int:
    step, data = pack(tr, "test")
    store.put(run_key(tr), step, data)
    return step


def test_a_run_taken_from_the_store_goes_on_bit_for_bit(make_store):
    """A-Softmax with shift augmentation: weights, momentum, the batch order, the augmentation's random
    generator and λ's counter all come back, or the resumed run drifts from the uninterrupted one."""
    store = make_store()
    first = trainer(loss="a_softmax", seed=3)
    first.step(30)
    stored(store, first)
    second = trainer(loss="a_softmax", seed=3)
    entry = store.get(run_key(second))
    assert entry.step == entry.snapshots[-1].step == 30  # a stored run ends with a snapshot of its state
    second.resume(entry.state, entry.snapshots, entry.history)
    second.step(25)
    straight = trainer(loss="a_softmax", seed=3)
    straight.step(55)
    assert second.loss.lam == straight.loss.lam and same_weights(second, straight)
    assert torch.equal(second.features(second.eval_images), straight.features(straight.eval_images))


def test_a_follower_taking_each_new_version_goes_on_from_the_last(tmp_path):
    """A follower takes every version it sees (its network loaded only when it trains): after versions
    at steps 10 and 20, it trains on from 20 bit for bit, and draws version 20's W meanwhile."""
    source, follower, straight = trainer(seed=5), trainer(seed=5), trainer(seed=5)
    for steps in (10, 10):
        source.step(steps)
        follower.resume(source.state(), list(source.snapshots), source.history)
    assert torch.equal(follower.loss.weight, source.loss.weight)
    follower.step(5)
    straight.step(25)
    assert same_weights(follower, straight)


def test_sessions_resuming_one_stored_run_do_not_write_into_it(make_store):
    """Every session of a process shares the stored entry it resumed from; training one of them must leave
    the entry (its momentum buffers included) as it was, so the next session resumes the same run."""
    store = make_store()
    first = trainer()
    first.step(10)
    stored(store, first)
    entry = store.get(run_key(first))
    before = copy.deepcopy(entry.state)
    taker, later = trainer(), trainer()
    taker.resume(entry.state, entry.snapshots, entry.history)
    taker.step(5)
    later.resume(entry.state, entry.snapshots, entry.history)
    later.step(5)
    assert same_weights(taker, later)
    taker._restore(taker._good)  # a rollback to the state it resumed from, which is the entry's own
    taker.step(5)
    assert tensors(entry.state) == tensors(before)  # weights, momentum, batch order: all as stored


def tensors(tree) -> list:
    """Every tensor in a nested state, as (path, values) in a fixed order."""
    if isinstance(tree, dict):
        return [(f"{k}.{p}", v) for k in sorted(tree, key=str) for p, v in tensors(tree[k])]
    if isinstance(tree, torch.Tensor):
        return [("", tree.tolist())]
    return []


def test_the_key_is_the_run_and_not_where_its_data_lives(tmp_path):
    base = trainer()
    assert run_key(base) == run_key(trainer(data_dir=str(tmp_path)))
    assert run_key(base) != run_key(trainer(seed=1))
    assert run_key(base) != run_key(trainer(hparams={"m": 2}))
    other = trainer()
    other.data = type(base.data)(**{**base.data.__dict__, "x_test": base.data.x_test + 1e-3})
    assert run_key(base) != run_key(other)


def test_a_hit_replays_the_stored_run_without_training(make_store, monkeypatch):
    """The second session gets the first one's run while every training slot is taken: it replays the
    recorded steps on screen, in order, then shows the stored state."""
    store = make_store()
    first = trainer(loss="cosface")
    for _ in range(4):
        first.step(20)
        first.snapshot()
    stored(store, first)
    slots = TrainingSlots(1)
    assert slots.acquire("teacher", timeout=1)  # nobody else may train
    second = trainer(loss="cosface")
    monkeypatch.setattr(player_module, "REPLAY_SECONDS", 4.0 * second.total_steps / 80)  # these 80 steps: 4 s
    player = Player([second], slots, "student", store=store)
    player.play()
    try:
        assert wait_until(lambda: second.step_count == 80)
        shown = []
        while player.replaying(second) is not None:
            frame = player.moment(second)
            assert frame.replayed and frame.status["step"] == frame.snap.step
            # the training batches' numbers too, as the first session measured them at that step
            recorded = next(snap for snap in first.snapshots if snap.step == frame.snap.step)
            assert frame.train_scores["train_intra"] == recorded.metrics["train_intra"] > 0
            shown.append(frame.snap.step)
            player.heartbeat()
            time.sleep(0.05)
        assert shown == sorted(shown) and {20, 40, 60} <= set(shown)
        assert not player.moment(second).replayed and same_weights(second, first)
    finally:
        player.pause()
        slots.release("teacher")


def test_a_session_follows_the_one_training_the_same_run(make_store):
    """Two sessions, one run: one trains, the other follows it from the store and holds no slot; when
    the trainer pauses, the follower takes the run on from where it is."""
    store = make_store()
    slots = TrainingSlots(2)
    a, b = trainer(), trainer()
    teacher, student = Player([a], slots, "teacher", store=store), Player([b], slots, "student", store=store)
    teacher.play()
    assert wait_until(lambda: a.step_count > 0)
    student.play()
    try:
        for _ in range(40):
            teacher.heartbeat(), student.heartbeat()
            assert slots.load()[0] <= 1  # never two trainings of one run
            time.sleep(0.1)
        assert student.shares(b) and b.step_count > 0
        teacher.pause()
        reached = b.step_count
        assert wait_until(lambda: (student.heartbeat(), b.step_count > a.step_count + 20)[1], PATIENCE + 20)
        assert b.step_count > reached and not student.following
    finally:
        teacher.pause()
        student.pause()


def test_followers_asking_for_a_held_claim_never_wait_for_its_lock(tmp_path):
    """Thirty followers asked for the claim four times a second each, under the key's lock, and the one
    session training the run queued behind them between its bursts. A held claim is refused at a look."""
    store = RunStore(tmp_path, 2**30)
    key = "k" * 16
    assert store.claim(key, "teacher")
    refused = []
    with store._locked(key):  # the holder (or a writer) busy with the key
        asker = threading.Thread(target=lambda: refused.append(not store.claim(key, "student")))
        asker.start()
        asker.join(timeout=5)
        assert refused == [True], "a follower waited for the lock"
    assert store.claim(key, "teacher") and not store.claim(key, "student")


def test_a_live_change_leaves_the_shared_run(make_store):
    store = make_store()
    tr = trainer(loss="cosface")
    tr.step(5)
    tr.set_live(m=0.2)
    player = Player([tr], TrainingSlots(1), "me", store=store)
    player.play()
    assert wait_until(lambda: (player.heartbeat(), tr.step_count > 30)[1])
    player.pause()
    assert store.get(run_key(tr)) is None


def spec(store) -> tuple[str, str]:
    """What another process needs to open the same store."""
    return ("redis", store.url) if isinstance(store, RedisStore) else ("folder", str(store.root))


def opened(kind: str, where: str):
    return RedisStore(where, 2**30) if kind == "redis" else RunStore(where, 2**30)


def raw(store, key: str) -> bytes | None:
    """An entry's bytes as the store holds them, read around it (no mark of use)."""
    if isinstance(store, RedisStore):
        return store.redis.hget(f"svz:run:{key}", "data")
    return store.path(key).read_bytes() if store.path(key).exists() else None


def damage(store, key: str, data: bytes) -> None:
    """Another version of an entry, `data` in place of its bytes, written around the store."""
    if isinstance(store, RedisStore):
        store.redis.hset(f"svz:run:{key}", mapping={"data": data, "version": secrets.token_hex(8), "step": 1})
    else:
        store.path(key).write_bytes(data)


def _write_repeatedly(kind: str, where: str, steps: int) -> None:
    store, tr = opened(kind, where), trainer()
    for _ in range(steps // 5):
        tr.step(5)
        stored(store, tr)


def test_two_processes_writing_one_run_leave_the_longer_whole(make_store):
    store = make_store()
    spawn = multiprocessing.get_context("spawn")
    writers = [spawn.Process(target=_write_repeatedly, args=(*spec(store), steps)) for steps in (40, 60)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    straight = trainer()
    straight.step(60)
    entry = opened(*spec(store)).get(run_key(straight))
    assert entry.step == 60
    assert all(torch.equal(entry.state["model"][k], v) for k, v in straight.model.state_dict().items())
    if isinstance(store, RunStore):
        assert not list(store.root.glob("*.tmp")) and not list(store.root.glob(".*.tmp"))


def test_a_damaged_entry_is_dropped_and_the_run_trained_again(make_store):
    store = make_store()
    tr = trainer()
    tr.step(10)
    stored(store, tr)
    key = run_key(tr)
    whole = raw(store, key)
    for damaged in (whole[: len(whole) // 2], b"PK\x03\x04" + bytes(100), whole.replace(b"head", b"hexd")):
        damage(store, key, damaged)
        assert store.get(key) is None and raw(store, key) is None
    damage(store, key, whole[:-50])
    fresh = trainer()
    player = Player([fresh], TrainingSlots(1), "me", store=store)
    player.play()
    assert wait_until(lambda: (player.heartbeat(), fresh.step_count > 15)[1])
    player.pause()
    assert store.get(run_key(fresh)).step == fresh.step_count


def test_an_oversized_entry_is_refused_unread(make_store, monkeypatch):
    """Past MAX_ENTRY_BYTES an entry is dropped by its size alone: neither parsed nor passed on."""
    store = make_store()
    tr = trainer()
    tr.step(5)
    stored(store, tr)
    whole = raw(store, run_key(tr))
    monkeypatch.setattr(store_module, "MAX_ENTRY_BYTES", len(whole) - 1)
    monkeypatch.setattr(store_module, "read_entry", lambda data: pytest.fail("an oversized entry was parsed"))
    damage(store, run_key(tr), whole)  # a version this process has not parsed
    assert store.get(run_key(tr)) is None and raw(store, run_key(tr)) is None


def test_the_store_keeps_to_its_size_and_drops_the_least_recently_used(make_store):
    runs = [trainer(seed=seed) for seed in range(4)]
    for tr in runs:
        tr.step(3)
    one = len(pack(runs[0], "test")[1])
    store = make_store(int(2.5 * one))
    stored(store, runs[0])
    time.sleep(0.05)
    stored(store, runs[1])
    time.sleep(0.05)
    assert store.get(run_key(runs[0])) is not None  # read: now the most recently used
    time.sleep(0.05)
    stored(store, runs[2])
    kept = {tr.config.seed for tr in runs if raw(store, run_key(tr)) is not None}
    assert kept == {0, 2}
    assert sum(len(raw(store, run_key(tr)) or b"") for tr in runs) <= store.max_bytes


def test_a_claim_expires_and_another_process_takes_it(make_store, monkeypatch):
    """A claim is free PATIENCE seconds after its holder last touched it (a killed process), in whichever process
    asks; until then it is the holder's alone."""
    monkeypatch.setattr(store_module, "PATIENCE", 1.0)
    store = make_store()
    assert store.claim("k" * 16, "killed")
    other = opened(*spec(store))
    assert not other.claim("k" * 16, "survivor")
    time.sleep(0.5)
    assert store.claim("k" * 16, "killed") and not other.claim("k" * 16, "survivor")  # touched: held on
    time.sleep(1.2)
    assert other.claim("k" * 16, "survivor") and not store.claim("k" * 16, "killed")
    other.release("k" * 16, "survivor")
    assert store.claim("k" * 16, "killed")


def test_a_channel_gives_its_latest_message_and_waits_for_the_next(make_store):
    store = make_store()
    assert store.heard("room", None, 0.1) is None
    store.announce("room", b"first", {"version": 1})
    store.announce("room", b"second", {"version": 2})
    heard, message, meta = store.heard("room", None, 0.1)
    assert (message, meta) == (b"second", {"version": 2})  # a reader that missed some takes the latest
    began = time.monotonic()
    assert store.heard("room", heard, 0.3) is None and time.monotonic() - began >= 0.25
    later = threading.Timer(0.2, lambda: store.announce("room", b"third", {}))
    later.start()
    assert store.heard("room", heard, 2.0)[1:] == (b"third", {})
    with pytest.raises(ValueError):
        store.announce("room", bytes(store_module.MAX_MESSAGE_BYTES), {})


def test_side_files_go_with_their_entry_and_stale_ones_with_nobody(tmp_path, monkeypatch):
    """Claims, wants and locks of keys without an entry do not pile up in a long-lived store; a claim
    somebody holds now stays."""
    first, second = trainer(seed=0), trainer(seed=1)
    for tr in (first, second):
        tr.step(3)
    store = RunStore(tmp_path, int(1.5 * len(pack(first, "test")[1])))  # room for one entry
    gone, held = run_key(first), "trained-now"
    store.claim(gone, "a"), store.want(gone)
    stored(store, first)
    assert store.claim(held, "b")
    monkeypatch.setattr(store_module, "PATIENCE", 0.0)  # every claim and want is stale now...
    stored(store, second)  # ...and this put evicts the first entry
    assert not list(tmp_path.glob(f"{gone}*")), list(tmp_path.glob(f"{gone}*"))
    assert not list(tmp_path.glob(f"{held}*"))  # nobody touched it for PATIENCE: free, and tidied
    monkeypatch.setattr(store_module, "PATIENCE", 60.0)
    assert store.claim(held, "b")
    store.evict()
    assert (tmp_path / f"{held}.claim").exists()  # held: kept
    assert {p.suffix for p in tmp_path.glob(f"{run_key(second)}*")} == {".npz", ".lock"}


def test_a_lock_file_removed_while_someone_waits_is_locked_anew(tmp_path):
    """_tidy deletes a lock file while holding it. A session that was waiting on that file must lock the
    file now at its path, or a third session would create a new one and hold the key at the same time."""
    store = RunStore(tmp_path, 2**30)
    inside, b_in, b_go = [], threading.Event(), threading.Event()

    def b():
        with store._locked("k"):
            inside.append("b in")
            b_in.set()
            b_go.wait(5)
            inside.append("b out")

    def c():
        with store._locked("k"):
            inside.append("c in")

    with store._locked("k") as lock:
        first = threading.Thread(target=b)
        first.start()
        time.sleep(0.2)  # b waits on the file
        lock.unlink()  # what _tidy does
    assert b_in.wait(5)
    second = threading.Thread(target=c)
    second.start()
    time.sleep(0.3)  # c must wait for b
    b_go.set()
    first.join(5), second.join(5)
    assert inside == ["b in", "b out", "c in"]


def test_threads_of_one_process_take_turns_with_a_key(tmp_path):
    """Every session of a server is a thread of one process: the key's lock must keep them out of each
    other's way as it keeps processes, and leave other keys free."""
    store = RunStore(tmp_path, 2**30)
    inside, seen = [], []

    def hold(key):
        for _ in range(5):
            with store._locked(key):
                inside.append(key)
                seen.append(list(inside))
                time.sleep(0.01)
                inside.remove(key)

    threads = [threading.Thread(target=hold, args=("k",)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert seen == [["k"]] * 15
    with store._locked("k"):
        other = threading.Thread(target=hold, args=("other",))
        other.start()
        other.join(5)
        assert not other.is_alive() and len(seen) == 20  # another key's lock is not this one
