"""Benchmark: time to build each kind of feature figure (2,000 points) and its JSON payload.

    python bench/figures.py

Prints the median of 7 builds per kind, on one torch thread (as in the app), with the machine.
"""
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sphereface_viz.losses import build_loss  # noqa: E402
from sphereface_viz.plots import feature_figure, to_json  # noqa: E402

torch.set_num_threads(1)
NAMES = [str(i) for i in range(10)]
print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
      f"python {platform.python_version()}, torch {torch.__version__}")
print(f"{'figure':32s} {'build ms':>9s} {'json ms':>8s} {'payload kB':>11s}")
for dim in (2, 3):
    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(2000, dim)).astype(np.float32) * 5, rng.integers(0, 10, 2000)
    for name in ("softmax", "modified_softmax", "a_softmax", "cosface", "arcface", "sv_softmax"):
        torch.manual_seed(0)
        loss = build_loss(name, dim, 10)
        if name == "softmax":
            with torch.no_grad():
                loss.bias.normal_()
        builds, encodes = [], []
        for _ in range(7):
            t0 = time.perf_counter()
            fig = feature_figure(loss, features, labels, NAMES)
            t1 = time.perf_counter()
            payload = to_json(fig)
            builds.append(t1 - t0)
            encodes.append(time.perf_counter() - t1)
        print(f"{name + f' {dim}-D':32s} {statistics.median(builds) * 1e3:9.1f} {statistics.median(encodes) * 1e3:8.1f} "
              f"{len(payload) / 1e3:11.0f}")
