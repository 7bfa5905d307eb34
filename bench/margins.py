"""Benchmark of what a margin does (issue #14): Intra, Inter and accuracy against each loss's margin grid.

    python bench/margins.py                      # digits 2-D and 3-D, every swept loss, seeds 0-2 (~15 min)
    python bench/margins.py --only live          # a live margin change after the schedule, headless
    python bench/margins.py --only mnist         # MNIST 3-D A-Softmax, m = 1 against m = 4 (~6 min)
    python bench/margins.py --only sweep         # the CLI's four-value digits sweep, timed

Every run uses the default recipe of its loss (sphereface_viz.recipe.RECIPES) and trains to the end of
its schedule; Intra and Inter are measured on the test set (docs/math.md, "Measuring compactness"). Two
worker processes train at once. Medians over seeds; the machine is printed first.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.train import MNIST, machine  # noqa: E402
from sphereface_viz.sweep import configs, swept, train_one  # noqa: E402

LOSSES = ("a_softmax", "cosface", "arcface", "sv_softmax")
SEEDS = (0, 1, 2)


def measured(config) -> dict:
    metrics, _ = train_one(config)
    return {k: metrics[k] for k in ("intra", "train_intra", "inter", "inter_min", "afs", "test_accuracy")}


def table(dims, losses, seeds, workers: int, values=None, **common) -> None:
    """values: the grid to try (default: each loss's declared one)."""
    grid = {loss: values or swept(loss).grid for loss in losses}
    jobs = [(loss, dim, value, seed, config) for dim in dims for loss in losses for seed in seeds
            for value, config in configs(loss, grid[loss], dim, seed, threads=1, snapshot_every=NO_SCHEDULE,
                                         **common).items()]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(measured, [job[-1] for job in jobs]))
    print(f"{'loss':11s} {'dim':>3s} {'value':>6s} {'Intra':>6s} {'train':>6s} {'Inter':>6s} {'min':>6s} "
          f"{'AFS':>7s} {'acc':>6s} {'acc range':>13s}  Intra ratio to the first value")
    for dim in dims:
        for loss in losses:
            first = None
            for value in grid[loss]:
                rows = [r for job, r in zip(jobs, results) if job[:3] == (loss, dim, value)]
                med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                first = first or med["intra"]
                accuracy = [r["test_accuracy"] for r in rows]
                print(f"{loss:11s} {dim:3d} {value:6g} {med['intra']:6.2f} {med['train_intra']:6.2f} "
                      f"{med['inter']:6.1f} {med['inter_min']:6.1f} {med['afs']:7.4f} {med['test_accuracy']:6.1%} "
                      f"{min(accuracy):6.1%}–{max(accuracy):6.1%}  ×{med['intra'] / first:.2f}", flush=True)


def live(seeds) -> None:
    """Train to the end of the schedule at the small margin, then set the large one live and keep
    training: test Intra after 100, 200, 400 and 800 more steps (the app trains digits 3-D at ~40-60
    steps/s, so 800 steps is ~15-20 s)."""
    import torch

    from sphereface_viz.recipe import NO_SCHEDULE, TrainConfig
    from sphereface_viz.trainer import Trainer

    torch.set_num_threads(1)
    for loss, small, large in (("cosface", 0.0, 0.35), ("arcface", 0.0, 0.5), ("a_softmax", 1.0, 4.0)):
        rows = []
        for seed in seeds:
            trainer = Trainer(TrainConfig(loss=loss, dim=3, seed=seed, threads=1, snapshot_every=NO_SCHEDULE,
                                          hparams={"m": small}))
            start = trainer.run(eval_every=None)
            trainer.set_live(m=large)
            row = [start["intra"]]
            for steps in (100, 100, 200, 400):
                trainer.step(steps)
                scores = trainer.evaluate()
                row.append(scores["intra"])
            rows.append((row, scores["test_accuracy"]))
        med = [statistics.median(r[0][k] for r in rows) for k in range(5)]
        print(f"{loss} 3-D m {small:g} → {large:g} live: test Intra {med[0]:.2f}° → after 100/200/400/800 steps "
              + " / ".join(f"{v:.2f}°" for v in med[1:]) + f" (×{med[4] / med[0]:.2f}); accuracy then "
              f"{statistics.median(r[1] for r in rows):.1%}", flush=True)


def timed_sweep(repeats: int = 3) -> None:
    for loss, dim in (("a_softmax", 3), ("cosface", 3), ("a_softmax", 2)):
        seconds = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as out:
                began = time.perf_counter()
                subprocess.run([sys.executable, "-m", "sphereface_viz", "sweep", "--loss", loss, "--dim", str(dim),
                                "--no-png", "--out", out], cwd=ROOT, check=True, capture_output=True)
                seconds.append(time.perf_counter() - began)
        print(f"sweep {loss} {dim}-D, four values, two workers, whole command: median {statistics.median(seconds):.1f} s "
              f"({', '.join(f'{s:.1f}' for s in seconds)})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=["digits", "live", "mnist", "sweep"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(machine(), flush=True)
    if "digits" in args.only:
        table((2, 3), LOSSES, SEEDS, args.workers)
    if "live" in args.only:
        live(SEEDS)
    if "mnist" in args.only:
        # MNIST's schedule: 2.75 epochs (bench/train.py), seed 0
        table((3,), ("a_softmax",), (0,), args.workers, values=(1.0, 4.0), dataset="mnist", data_dir=MNIST,
              download=False, epochs=2.75, eval_size=2000)
    if "sweep" in args.only:
        timed_sweep()


if __name__ == "__main__":
    main()
