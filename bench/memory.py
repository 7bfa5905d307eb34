"""Memory of app sessions at the largest settings the Train page offers (issue #17), on real MNIST.

    python bench/memory.py            # ~2 min on 2 cores

Each count of sessions runs in a fresh process: MNIST loaded once (shared by every session, as in the
app), then that many trainers, each stepped 20 times at the largest batch, width, dimension and point
count, with 5 snapshots. Resident memory (VmRSS) after, and its peak (VmHWM); the growth per session
is the slope between the counts, after glibc has handed freed memory back (the app's janitor,
sphereface_viz.housekeeping, does the same). A step's activations are transient: the peak above the
base, needed once per training slot (one per core), not once per session. The 295 snapshots a session
may add later are computed, not run: each holds its points' features and W (2,000 × 3 + 10 × 3 float32).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.train import MNIST, machine  # noqa: E402

CHILD = """
import ctypes, gc, json, sys, torch
from sphereface_viz.data import load_dataset
from sphereface_viz.recipe import NO_SCHEDULE, TrainConfig
from sphereface_viz.trainer import Trainer
def status(key):
    return int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith(key))) / 1024
torch.set_num_threads(1)
load_dataset('mnist', sys.argv[2], False)
base = status('VmRSS')
trainers = []
for seed in range(int(sys.argv[1])):
    t = Trainer(TrainConfig(dataset='mnist', data_dir=sys.argv[2], download=False, dim=3, width=32, batch_size=256,
                            eval_size=2000, max_snapshots=300, snapshot_every=NO_SCHEDULE, threads=1, seed=seed))
    for _ in range(5):
        t.step(4)
        t.snapshot()
    trainers.append(t)
gc.collect()
ctypes.CDLL('libc.so.6').malloc_trim(0)  # as the app's janitor does: freed activations leave the process
print(json.dumps({'base': base, 'rss': status('VmRSS'), 'peak': status('VmHWM')}))
"""


def measure(sessions: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(sessions), MNIST], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"machine: {machine()}")
    counts = (1, 4)
    figures = {n: measure(n) for n in counts}
    for n, f in figures.items():
        print(f"  {n} session(s): process with MNIST loaded {f['base']:.0f} MB; after {f['rss']:.0f} MB; "
              f"peak {f['peak']:.0f} MB")
    per = (figures[4]["rss"] - figures[1]["rss"]) / 3
    snapshots = 295 * (2000 * 3 + 10 * 3) * 4 / 2**20
    ceiling = per + snapshots
    step = figures[1]["peak"] - figures[1]["base"]
    print(f"  kept per session: {per:.0f} MB measured + {snapshots:.1f} MB of later snapshots = {ceiling:.0f} MB")
    print(f"  a training step's peak: {step:.0f} MB, once per training slot")
    total = figures[1]["base"] + 2 * step + 30 * ceiling
    print(f"  30 sessions, 2 slots: {figures[1]['base']:.0f} + 2 × {step:.0f} + 30 × {ceiling:.0f} = {total:.0f} MB")


if __name__ == "__main__":
    main()
