"""What a page's Python costs the training thread beside it (the GIL): MNIST 3-D training steps/s on one
thread, alone and with a second thread that runs pure Python a given share of the time, in 10-ms bursts
(as a page's rerun does). sphereface_viz.live paces its frames by this.

    python bench/gil_share.py
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.train import machine  # noqa: E402


def main(seconds: float = 6.0) -> None:
    import torch

    from sphereface_viz.recipe import TrainConfig
    from sphereface_viz.trainer import Trainer

    torch.set_num_threads(1)
    trainer = Trainer(TrainConfig(dataset="mnist", dim=3, loss="a_softmax", threads=1,
                                  data_dir=str(ROOT.parent / "shared" / "data" / "mnist")))
    trainer.step(20)

    def steps_per_s() -> float:
        began, steps = time.perf_counter(), 0
        while time.perf_counter() - began < seconds:
            trainer.step(5)
            steps += 5
        return steps / (time.perf_counter() - began)

    def python_busy(share: float, stop: threading.Event, burst: float = 0.01) -> None:
        while not stop.is_set():
            began = time.perf_counter()
            while time.perf_counter() - began < burst * share:
                sum(range(200))
            time.sleep(burst * (1 - share))

    print(f"machine: {machine()}")
    alone = steps_per_s()
    print(f"training alone: {alone:.1f} steps/s")
    for share in (0.1, 0.2, 0.4):
        stop = threading.Event()
        beside = threading.Thread(target=python_busy, args=(share, stop))
        beside.start()
        rate = steps_per_s()
        stop.set()
        beside.join()
        print(f"beside a thread in Python {share:.0%} of the time: {rate:.1f} steps/s ({rate / alone:.0%})")


if __name__ == "__main__":
    main()
