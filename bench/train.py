"""Benchmark of training speed (issue #5): prints every figure as a median over seeds, with the machine.

    python bench/train.py                        # everything below (~25 min on 2 cores)
    python bench/train.py --only digits compare  # a part: digits, mnist, peer, compare, memory

digits   per loss and dimension: test accuracy, training seconds, seconds until 97% test accuracy
mnist    softmax and A-Softmax, 2-D and 3-D: accuracy, seconds until 98.5% and 99.0%
peer     LeNet++ (centre-loss paper) timed here for a few hundred steps; its published log reaches
         98.5% at about epoch 30, so its time to 98.5% is 30 epochs of those steps; ratio to ours
compare  the Compare page's five losses trained round robin in one thread: seconds until all >= 95%
memory   peak resident memory of a CLI training run, digits and MNIST

Training seconds are the trainer's own clock (steps and snapshots; no imports, no test evaluation).
Time to a target is read off a test evaluation every quarter epoch (MNIST) or every epoch (digits).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sphereface_viz.compare import MISSION, configs  # noqa: E402
from sphereface_viz.losses import LOSSES  # noqa: E402
from sphereface_viz.recipe import TrainConfig  # noqa: E402
from sphereface_viz.trainer import Trainer  # noqa: E402

MNIST = str(ROOT.parent / "shared" / "data" / "mnist")


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}"


def seconds_to(trainer: Trainer, target: float) -> float:
    reached = [h["train_seconds"] for h in trainer.history if h["test_accuracy"] >= target]
    return reached[0] if reached else float("inf")


def show(seconds: float) -> str:
    return "never" if seconds == float("inf") else f"{seconds:.1f}"


def train_table(dataset: str, losses: list[str], dims: list[int], seeds: list[int], targets: list[float],
                eval_every: float, **config) -> dict:
    """Train every (loss, dim) for every seed; print medians; return {(loss, dim): median s to targets[0]}."""
    head = " ".join(f"{'s to ' + format(t, '.1%'):>11s}" for t in targets)
    print(f"{'loss':18s} {'dim':>3s} {'accuracy':>9s} {'range':>15s} {'train s':>8s} {head}")
    out = {}
    for dim in dims:
        for name in losses:
            accuracy, seconds, reach = [], [], {t: [] for t in targets}
            for seed in seeds:
                trainer = Trainer(TrainConfig(dataset=dataset, loss=name, dim=dim, seed=seed, **config))
                final = trainer.run(eval_every=eval_every)
                accuracy.append(final["test_accuracy"])
                seconds.append(final["train_seconds"])
                for t in targets:
                    reach[t].append(seconds_to(trainer, t))
            hits = [statistics.median(reach[t]) for t in targets]
            print(f"{name:18s} {dim:3d} {statistics.median(accuracy):9.2%} {min(accuracy):6.2%}–{max(accuracy):6.2%} "
                  f"{statistics.median(seconds):8.1f} " + " ".join(f"{show(h):>11s}" for h in hits), flush=True)
            out[name, dim] = hits[0]
    return out


class LeNetPP(nn.Module):
    """LeNet++ of Wen et al. 2016 (centre loss): 3 × [two 5×5 convs + PReLU, 2×2 max-pool], fc to 2, PReLU, fc to 10."""

    def __init__(self):
        super().__init__()
        layers, c_in = [], 1
        for c in (32, 64, 128):
            layers += [nn.Conv2d(c_in, c, 5, padding=2), nn.PReLU(), nn.Conv2d(c, c, 5, padding=2), nn.PReLU(),
                       nn.MaxPool2d(2)]
            c_in = c
        self.net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(128 * 3 * 3, 2), nn.PReLU(), nn.Linear(2, 10))

    def forward(self, x):
        return self.net(x)


def peer_step_seconds(steps: int, repeats: int) -> float:
    """Median over `repeats` timings of `steps` SGD steps of LeNet++ at its recipe (batch 128) on MNIST."""
    from sphereface_viz.data import load_dataset

    data = load_dataset("mnist", MNIST, download=False)
    torch.manual_seed(0)
    net = LeNetPP()
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    order = torch.randperm(len(data.y_train))

    def run(k: int, start: int) -> float:
        began = time.perf_counter()
        for i in range(start, start + k):
            idx = order[(i * 128) % (len(order) - 128):][:128]
            loss = nn.functional.cross_entropy(net(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return (time.perf_counter() - began) / k

    run(5, 0)  # warm-up
    return statistics.median(run(steps, 5 + r * steps) for r in range(repeats))


def compare_seconds(seeds: list[int], target: float, dim: int = 2) -> list[float]:
    """Train the Compare page's losses round robin in one thread, as the page does, testing all after every
    round of 11 steps (half a digits epoch); seconds of training until every loss is at `target`."""
    out = []
    for seed in seeds:
        trainers = [Trainer(config) for config in configs(MISSION, dim, seed).values()]  # each loss's own m
        began, reached = time.perf_counter(), float("inf")
        clock = 0.0
        while clock < 120:
            for trainer in trainers:
                trainer.step(11)
            clock = sum(t.train_seconds for t in trainers)
            if all(t.evaluate()["test_accuracy"] >= target for t in trainers):
                reached = clock
                break
        out.append(reached)
        print(f"  seed {seed}: {show(reached)} s of training ({time.perf_counter() - began:.1f} s wall); "
              + ", ".join(f"{t.config.loss} {t.evaluate()['test_accuracy']:.1%}" for t in trainers), flush=True)
    return out


def peak_rss_gb(*cli_args: str) -> float:
    """Peak resident memory of `python -m sphereface_viz train ...` in a child process."""
    with tempfile.TemporaryDirectory() as out:
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) benchmark process
        code = ("import runpy, sys; sys.argv = sys.argv[1:]\n"
                "try:\n    runpy.run_module('sphereface_viz', run_name='__main__')\n"
                "finally:\n    print('PEAK', next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
        done = subprocess.run([sys.executable, "-c", code, "sphereface_viz", "train", *cli_args, "--out", out,
                               "--no-figures"], cwd=ROOT, capture_output=True, text=True)
    peak = [line for line in done.stdout.splitlines() if line.startswith("PEAK")]
    if done.returncode != 0 or not peak:
        raise SystemExit(f"memory run failed: {done.stderr.strip().splitlines()[-1:]}")
    return int(peak[0].split()[1]) / 2**20


def main() -> None:
    parts = ["digits", "mnist", "peer", "compare", "memory"]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=parts, default=parts)
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mnist-epochs", type=float, default=2.75)  # ~60 s of training here, the target's budget
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}; {args.threads} torch threads; medians over seeds {args.seeds}", flush=True)
    ours = {}
    if "digits" in args.only:
        print("\n## digits (1,437 train / 360 test, 8×8), default recipes")
        train_table("digits", list(LOSSES), [2, 3], args.seeds, [0.97], eval_every=1.0)
    if "mnist" in args.only:
        print(f"\n## MNIST, {args.mnist_epochs:g} epochs")
        ours = train_table("mnist", ["softmax", "a_softmax"], [2, 3], args.seeds, [0.985, 0.99], eval_every=0.25,
                           data_dir=MNIST, epochs=args.mnist_epochs, download=False)
    if "peer" in args.only:
        step = peer_step_seconds(100, 3)
        peer = 30 * (60000 // 128) * step
        print(f"\n## peer: LeNet++ at batch 128, {step * 1000:.0f} ms per step (median of 3 × 100 steps): "
              f"30 epochs to 98.5% = {peer:.0f} s")
        for (name, dim), seconds in ours.items():
            ratio = f"{peer / seconds:.0f}× faster" if seconds < float("inf") else "no ratio"
            print(f"  {name} {dim}-D reaches 98.5% in {show(seconds)} s: {ratio}")
    if "compare" in args.only:
        print("\n## compare page, five losses on digits 2-D, round robin in one thread: time until all >= 95%")
        torch.set_num_threads(1)
        times = compare_seconds(args.seeds, 0.95)
        print(f"  median {show(statistics.median(times))} s")
        torch.set_num_threads(args.threads)
    if "memory" in args.only:
        print("\n## peak memory of one CLI training run")
        print(f"  digits 2-D A-Softmax: {peak_rss_gb('--loss', 'a_softmax', '--epochs', '2'):.2f} GB")
        print(f"  MNIST 2-D A-Softmax:  {peak_rss_gb('--dataset', 'mnist', '--data-dir', MNIST, '--epochs', '0.2'):.2f} GB")


if __name__ == "__main__":
    main()
