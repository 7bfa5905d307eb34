"""Benchmark: what the toy can show of the open set (issue #38). Each loss at its default m, digits 7, 8 and 9 held out
of training, on digits and MNIST, 2-D and 3-D, seeds 0-2; verification (sphereface_viz.verification.open_set) on the
whole test set's held-out digits and, beside it, on the trained ones. Prints one markdown row per loss, dataset and
dimension (median over seeds, and the seeds' range), as docs/recipes.md quotes them.

    python bench/open_set.py                      # everything: ~10 min on 2 cores
    python bench/open_set.py --datasets digits --seeds 0
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.train import machine  # noqa: E402
from sphereface_viz.losses import LOSSES  # noqa: E402

MNIST = ROOT.parent / "shared" / "data" / "mnist"
HOLDOUT = (7, 8, 9)
EPOCHS = {"digits": None, "mnist": 2.0}  # None: the loss's recipe (15-30 epochs); MNIST's would take 4 min a run


def one(loss: str, dataset: str, dim: int, seed: int) -> dict:
    import torch

    from sphereface_viz.recipe import TrainConfig
    from sphereface_viz.trainer import Trainer
    from sphereface_viz.verification import open_set

    torch.set_num_threads(1)
    config = TrainConfig(loss=loss, dataset=dataset, dim=dim, seed=seed, holdout=HOLDOUT, threads=1,
                         data_dir=str(MNIST) if dataset == "mnist" else None, epochs=EPOCHS[dataset])
    trainer = Trainer(config)
    began = time.perf_counter()
    result = trainer.run()
    measured = open_set(trainer.features(trainer.data.x_test).numpy(), trainer.data.y_test.numpy(), trainer.seen)
    return {"loss": loss, "dataset": dataset, "dim": dim, "seed": seed, "seconds": time.perf_counter() - began,
            "test_accuracy": result["test_accuracy"], "epochs": trainer.config.epochs,
            **{f"{name}_{k}": measured[name][k] for name in ("unseen", "seen")
               for k in ("auc", "tar_at_far", "accuracy", "criterion_met", "robust_criterion_met")}}


def spread(values: list[float], form: str) -> str:
    """The median, and the range over seeds when there are several."""
    median = format(statistics.median(values), form)
    return median if len(values) == 1 else f"{median} ({format(min(values), form)}–{format(max(values), form)})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--losses", nargs="*", default=list(LOSSES), choices=list(LOSSES))
    p.add_argument("--datasets", nargs="*", default=["digits", "mnist"], choices=list(EPOCHS))
    p.add_argument("--dims", nargs="*", type=int, default=[2, 3])
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--json", type=Path, help="also write every run's figures here")
    args = p.parse_args()
    print(f"machine: {machine()}; held out: {', '.join(map(str, HOLDOUT))}; epochs: digits the recipe's, "
          f"MNIST {EPOCHS['mnist']:g}", flush=True)
    jobs = list(itertools.product(args.losses, args.datasets, args.dims, args.seeds))
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(one, *zip(*jobs)))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    print("| dataset | dim | loss | test accuracy (seen) | AUC, held out | TAR at FAR 1%, held out "
          "| verification accuracy, held out | AUC, trained digits | criterion met, held out / trained |")
    print("|---|---|---|---|---|---|---|---|---|")
    for dataset, dim, loss in itertools.product(args.datasets, args.dims, args.losses):
        rows = [r for r in runs if (r["dataset"], r["dim"], r["loss"]) == (dataset, dim, loss)]
        def of(key: str, form: str) -> str:
            return spread([r[key] for r in rows], form)

        met = sum(r["unseen_criterion_met"] for r in rows), sum(r["seen_criterion_met"] for r in rows)
        print(f"| {dataset} | {dim} | {LOSSES[loss].title} | {of('test_accuracy', '.1%')} | {of('unseen_auc', '.3f')} "
              f"| {of('unseen_tar_at_far', '.1%')} | {of('unseen_accuracy', '.1%')} | {of('seen_auc', '.3f')} "
              f"| {met[0]} / {met[1]} of {len(rows)} |", flush=True)
    print(f"{len(runs)} runs, {sum(r['seconds'] for r in runs):.0f} s of training and measuring")


if __name__ == "__main__":
    main()
