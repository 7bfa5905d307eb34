"""Every size a browser, a URL, a run file or the command line can set, bounded in one place.

A classroom server is shared: one request that allocates gigabytes kills every student's session.
Each bound sits well above what a real run uses (in brackets) and is checked before the allocation.
"""
from __future__ import annotations

import os

# training (TrainConfig checks these; the CLI and the app alike)
MAX_WIDTH = 64            # CNN channels of the first stage [app: 4-32, default 16]
MAX_BATCH = 1024          # [app: 16-256, default 64]
MAX_EPOCHS = 200.0        # length of the schedule [recipes: 15-30; MNIST 2.75]
MAX_EVAL_SIZE = 10_000    # evaluation images per snapshot [app: 250-2,000; CLI 2,000; MNIST's test set: 10,000]
MAX_SNAPSHOTS = 400       # snapshots a run keeps [app 300, CLI 400]
MAX_CLASSES = 100         # [10]
MAX_SEED = 10**6          # a seed the pages and their links offer [0] (the CLI takes any up to 2**32 - 1)

# run files (sphereface_viz.runio reads these from the zip directory and .npy headers first)
MAX_RUN_FILE_BYTES = 64 * 2**20    # a run file as uploaded or read [a default CLI run: ~3 MB]
MAX_META_CHARS = 2_000_000         # the JSON of config, history and snapshot numbers [~0.1 MB]
MAX_RUN_MEMBERS = 6                # meta, eval_labels, steps, features, weights, biases

# a sweep
MAX_SWEEP_VALUES = 6      # small multiples stay readable, and a sweep's cost stays a few runs'


def largest_run_bytes() -> int:
    """The most memory a run file that passes every bound holds once read (54 MB): float32 features,
    W and biases, int64 labels and steps, and the metadata as numpy's 4-byte characters."""
    arrays = MAX_SNAPSHOTS * (MAX_EVAL_SIZE * 3 + MAX_CLASSES * 4) * 4 + (MAX_EVAL_SIZE + MAX_SNAPSHOTS) * 8
    return arrays + 4 * MAX_META_CHARS


# memory (bench/memory.py, MNIST at the Train page's largest settings: 3-D, width 32, batch 256, 2,000 points)
SESSION_MB = 20           # kept by one session: its model, snapshots, evaluation images [measured 17 MB]
STEP_MB = 450             # a training step's activations, once per training slot, not per session [404 MB]


def memory_budget_mb() -> float | None:
    """The server's memory budget: $SPHEREFACE_VIZ_MEMORY_MB, else 80% of the machine's memory (Linux);
    None where neither is known."""
    if os.environ.get("SPHEREFACE_VIZ_MEMORY_MB"):
        return float(os.environ["SPHEREFACE_VIZ_MEMORY_MB"])
    try:
        with open("/proc/meminfo") as info:
            return 0.8 * int(next(line.split()[1] for line in info if line.startswith("MemTotal"))) / 1024
    except (OSError, StopIteration, ValueError):
        return None


def resident_mb() -> float | None:
    """This process's resident memory (Linux), or None."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def no_room_for_a_session() -> str | None:
    """Why a new training must not start now (the server is near its memory budget), or None."""
    budget, used = memory_budget_mb(), resident_mb()
    if budget is None or used is None or used + SESSION_MB + STEP_MB <= budget:
        return None
    return (f"The server is near its memory budget ({used:,.0f} of {budget:,.0f} MB in use), so no new training "
            "starts now. Try again when another session has ended.")
