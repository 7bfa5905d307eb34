"""Every size a browser, a URL, a run file or the command line can set, bounded in one place.

A classroom server is shared: one request that allocates gigabytes kills every student's session.
Each bound sits well above what a real run uses (in brackets) and is checked before the allocation.
"""
from __future__ import annotations

# training (TrainConfig checks these; the CLI and the app alike)
MAX_WIDTH = 64            # CNN channels of the first stage [app: 4-32, default 16]
MAX_BATCH = 1024          # [app: 16-256, default 64]
MAX_EPOCHS = 200.0        # length of the schedule [recipes: 15-30; MNIST 2.75]
MAX_POINTS = 10_000       # evaluation images per snapshot [app: 250-2,000; CLI 2,000; MNIST's test set: 10,000]
MAX_SNAPSHOTS = 400       # snapshots a run keeps [app 300, CLI 400]
MAX_CLASSES = 100         # [10]

# run files (sphereface_viz.runio reads these from the zip directory and .npy headers first)
MAX_RUN_FILE_BYTES = 64 * 2**20    # a run file as uploaded or read [a default CLI run: ~3 MB]
MAX_META_CHARS = 2_000_000         # the JSON of config, history and snapshot numbers [~0.1 MB]
MAX_RUN_MEMBERS = 6                # meta, eval_labels, steps, features, weights, biases

# a sweep
MAX_SWEEP_VALUES = 6      # small multiples stay readable, and a sweep's cost stays a few runs'


def largest_run_bytes() -> int:
    """The most memory a run file that passes every bound holds once read (~57 MB): float32 features,
    W and biases, int64 labels and steps, and the metadata as numpy's 4-byte characters."""
    arrays = MAX_SNAPSHOTS * (MAX_POINTS * 3 + MAX_CLASSES * 4) * 4 + (MAX_POINTS + MAX_SNAPSHOTS) * 8
    return arrays + 4 * MAX_META_CHARS
