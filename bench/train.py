"""Benchmark: per loss and feature dimension, test accuracy, training seconds and the training time until
the test accuracy first reaches a target, as medians over seeds.

    python bench/train.py                                   # digits, 2-D and 3-D, seeds 0 1 2
    python bench/train.py --dataset mnist --data-dir ../shared/data/mnist --epochs 1 --dims 2

Training time is the trainer's own clock (steps, snapshots), without imports and evaluation.
Time-to-target is read off the per-epoch history, so it is at epoch resolution.
"""
import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sphereface_viz.losses import LOSSES  # noqa: E402
from sphereface_viz.trainer import TrainConfig, Trainer  # noqa: E402


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits")
    p.add_argument("--data-dir")
    p.add_argument("--losses", nargs="*", default=list(LOSSES))
    p.add_argument("--dims", nargs="*", type=int, default=[2, 3])
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    p.add_argument("--epochs", type=float)
    p.add_argument("--target", type=float, default=0.97)
    args = p.parse_args()
    print(f"machine: {machine()}")
    print(f"dataset {args.dataset}; medians over seeds {args.seeds}; target {args.target:.0%}")
    print(f"{'loss':18s} {'dim':>3s} {'accuracy':>9s} {'range':>15s} {'train s':>8s} {'s to target':>12s}")
    for dim in args.dims:
        for name in args.losses:
            accuracy, seconds, to_target = [], [], []
            for seed in args.seeds:
                trainer = Trainer(TrainConfig(dataset=args.dataset, data_dir=args.data_dir, loss=name, dim=dim,
                                              seed=seed, epochs=args.epochs))
                final = trainer.run()
                accuracy.append(final["test_accuracy"])
                seconds.append(final["train_seconds"])
                reached = [h["train_seconds"] for h in trainer.history if h["test_accuracy"] >= args.target]
                to_target.append(reached[0] if reached else float("inf"))
            hit = statistics.median(to_target)
            print(f"{name:18s} {dim:3d} {statistics.median(accuracy):9.2%} "
                  f"{min(accuracy):6.2%}–{max(accuracy):6.2%} {statistics.median(seconds):8.1f} "
                  f"{'never' if hit == float('inf') else f'{hit:.1f}':>12s}", flush=True)


if __name__ == "__main__":
    main()
