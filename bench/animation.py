"""Benchmark: a lecture animation's cost (issue #16's target: a 40-frame 2-D GIF in <= 20 s).

    python bench/animation.py            # digits 2-D A-Softmax, 3 repeats; then one 3-D replay
    python bench/animation.py --2d       # the 2-D figure only

Trains one run with a snapshot per frame (not timed), then times each stage of `animation.replay`:
building the 40 figures (alone, then again while Chromium starts, as `replay` does), drawing them in
Chromium, encoding the GIF and the MP4. The GIF total is what `replay` spends up to its GIF. Medians of the repeats,
the machine printed first.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.train import machine  # noqa: E402
from sphereface_viz import animation  # noqa: E402
from sphereface_viz.runio import run_from_trainer  # noqa: E402
from sphereface_viz.recipe import TrainConfig  # noqa: E402
from sphereface_viz.trainer import Trainer  # noqa: E402


def trained(dim: int):
    trainer = Trainer(TrainConfig(loss="a_softmax", dim=dim, threads=2))
    trainer.snapshot_every = max(1, trainer.total_steps // animation.FRAMES)  # as `train --animation` does
    trainer.run()
    return trainer, run_from_trainer(trainer)


def timed(trainer, run) -> dict:
    t0 = time.perf_counter()
    figures = animation.replay_figures(trainer.loss, run, trainer.seen)
    t1 = time.perf_counter()  # built again below, as `replay` does: while Chromium starts
    frames = animation.render(lambda: animation.replay_figures(trainer.loss, run, trainer.seen))
    t2 = time.perf_counter()
    held = frames + [frames[-1]] * round(2.0 * animation.FPS)
    gif = animation.encode(held, 1 / animation.FPS, "gif")
    t3 = time.perf_counter()
    mp4 = animation.encode(held, 1 / animation.FPS, "mp4")
    t4 = time.perf_counter()
    assert len(figures) == len(frames)
    return {"frames": len(frames), "figures s": t1 - t0, "figures+draw s": t2 - t1, "gif s": t3 - t2,
            "GIF total s": t3 - t1,
            "mp4 s": t4 - t3, "gif MB": len(gif) / 1e6, "mp4 MB": len(mp4) / 1e6}


def main() -> None:
    print(machine())
    for dim, repeats in ((2, 3), (3, 1))[: 1 if "--2d" in sys.argv else 2]:
        trainer, run = trained(dim)
        rows = [timed(trainer, run) for _ in range(repeats)]
        print(f"{dim}-D replay, median of {repeats}: " + ", ".join(
            f"{key} {statistics.median(r[key] for r in rows):.2f}" for key in rows[0]))


if __name__ == "__main__":
    main()
