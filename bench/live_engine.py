"""Benchmark of the live view (issue #28): what a class feels while the Train page plays.

    python bench/live_engine.py                      # both cases, 5 rounds each
    python bench/live_engine.py --only mnist3d --rounds 3
    python bench/live_engine.py --app /path/to/other/checkout   # the same figures of another version
    python bench/live_engine.py --before /path/to/old/checkout  # rounds of both, interleaved: before/after ratios

Cases: digits 2-D with 1,000 points, MNIST 3-D with 2,000 (MNIST from ../shared/data/mnist). For each, a
fresh app server and a headless Chromium page on this machine, playing:
- redraws/s and training steps/s over 10 s (after SETTLE s of play), beside the same trainer's steps/s
  headless (one thread, measured just before each round);
- Play → first moved frame: from the click until the view draws a step after 0, on a warm server;
- slider step → chart: one key press on the Margin slider while playing, until the chart's title shows the
  new m (median and max over the rounds' presses);
- per frame, in-process: bytes on the wire (header JSON + arrays) and the page thread's CPU for a frame that
  asks for no new embedding, and for one that does (at most once a second while playing: it hands the forward
  pass to the background thread and scores the training window).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.train import machine  # noqa: E402
from devtools.appdriver import app_server, chromium, sidebar_slider  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CASES = {"digits2d": {"dataset": "digits", "dim": 2, "points": 1000},
         "mnist3d": {"dataset": "mnist", "dim": 3, "points": 2000}}
# the live view of this version or an older one: its iframe, and how it counts its draws and shows its title
VIEW = 'iframe[title*="feature_view"], iframe[title*="live_chart"]'
RENDERS = "() => window.view ? window.view.renders : window.renders"
TITLE = "() => (document.querySelector('#title') || document.querySelector('.gtitle') || {}).textContent || ''"
STEP = "() => Number(document.querySelector('[data-label=\"Step\"] .value').textContent.replace(/,/g, ''))"


def in_view(page, script: str, timeout: float = 120.0, every: float = 0.02):
    """Evaluate `script` in the live view's page until it is truthy (re-finding the view each time: Streamlit
    may mount its iframe afresh); its value, or None after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = page.frame_locator(VIEW).first.locator("body").evaluate(script, timeout=5_000)
            if value:
                return value
        except Exception:
            pass  # between two mounts of the view
        time.sleep(every)
    return None


# seconds of play before the 10-s window: the page's one-off start (the history chart's iframe parsing 3.5 MB of
# plotly.js, the sprite sheet, the first embeddings) is past, and the window measures a class's steady state
SETTLE = 5.0


def in_browser(url: str, case: dict, presses: int) -> dict:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        mounts = []
        page.on("frameattached", lambda f: mounts.append(time.time()))
        page.goto(f"{url}/?dataset={case['dataset']}&dim={case['dim']}&points={case['points']}&loss=a_softmax",
                  wait_until="domcontentloaded")
        in_view(page, RENDERS + " > 0")
        page.wait_for_timeout(2000)  # a warm server: the page's first run and its data are done
        clicked = time.time()
        page.get_by_role("button", name="Play").click()
        moved = in_view(page, "() => window.view && window.view.step > 0")
        first_frame = time.time() - clicked if moved else float("inf")
        in_view(page, STEP + " > 20")
        page.wait_for_timeout(SETTLE * 1000)
        mounted = len(mounts)
        r0, s0, t0 = in_view(page, RENDERS), in_view(page, STEP), time.time()
        page.wait_for_timeout(10_000)
        r1, s1, t1 = in_view(page, RENDERS), in_view(page, STEP), time.time()
        margin = sidebar_slider(page, "Margin m")
        latencies = []
        for k in range(presses):
            value = float(margin.get_attribute("aria-valuetext") or margin.get_attribute("aria-valuenow"))
            key, new = ("ArrowLeft", value - 0.1) if k % 2 == 0 else ("ArrowRight", value + 0.1)
            margin.focus()
            began = time.time()
            margin.press(key)
            shown = in_view(page, f"() => ({TITLE})().includes('m = {new:.3g}')", timeout=90)
            latencies.append(time.time() - began if shown else float("inf"))
            page.wait_for_timeout(1000)
        page.get_by_role("button", name="Pause").click()
        return {"redraws_per_s": (r1 - r0) / (t1 - t0), "steps_per_s": (s1 - s0) / (t1 - t0), "latencies": latencies,
                "first_frame": first_frame,
                "mounts": len(mounts) - mounted}


def headless_steps(case: dict, seconds: float = 8.0) -> float:
    from sphereface_viz.recipe import TrainConfig
    from sphereface_viz.trainer import Trainer

    trainer = Trainer(TrainConfig(dataset=case["dataset"], dim=case["dim"], loss="a_softmax", threads=1,
                                  eval_size=case["points"], data_dir=str(DATA / case["dataset"])
                                  if case["dataset"] != "digits" else None))
    trainer.step(20)
    began, steps = time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        trainer.step(10)
        steps += 10
    return steps / (time.perf_counter() - began)


def per_frame(case: dict, frames_measured: int = 20) -> dict:
    """A view's frames while the trainer steps between them, as its stage builds them for the browser (the
    message as sent: the frame, its id, pace and notice)."""
    from sphereface_viz.live import View
    from sphereface_viz.stage import Stage
    from sphereface_viz.player import Player
    from sphereface_viz.recipe import TrainConfig
    from sphereface_viz.slots import TrainingSlots
    from sphereface_viz.trainer import Trainer

    trainer = Trainer(TrainConfig(dataset=case["dataset"], dim=case["dim"], loss="a_softmax", threads=1,
                                  eval_size=case["points"], data_dir=str(DATA / case["dataset"])
                                  if case["dataset"] != "digits" else None))
    player, view, stage = Player([trainer], TrainingSlots(1), "bench"), View(), Stage()
    player.wanted = True  # frames as while playing: the test images embedded at most once a second
    player.heartbeat = lambda: None  # no training thread: this loop steps the trainer
    stage.show(player, trainer, view)
    stage.refresh()
    cheap, embedding, sizes = [], [], []
    for _ in range(frames_measured):
        trainer.step(3)
        embeds = time.monotonic() - view.embedded_at >= 1.0
        began = time.thread_time()
        stage.refresh()
        (embedding if embeds else cheap).append(time.thread_time() - began)
        sizes.append(len(stage.message))
        time.sleep(0.1)
    return {"cpu_ms": statistics.median(cheap) * 1e3, "embed_cpu_ms": statistics.median(embedding or [float("nan")]) * 1e3,
            "bytes": statistics.median(sizes)}


SWEEP = "--loss a_softmax --values 1 2 3 4 --dim 3 --seed 0"  # the Sweep page's set-up, as the CLI takes it


def sweep_cli() -> float:
    """Seconds the CLI's sweep takes to train the set-up (no figures written)."""
    import subprocess
    import tempfile

    began = time.time()
    subprocess.run([sys.executable, "-m", "sphereface_viz", "sweep", *SWEEP.split(), "--no-png", "--out",
                    tempfile.mkdtemp()], check=True, capture_output=True, cwd=ROOT)
    return time.time() - began


def sweep_page(url: str, with_train: bool) -> tuple[float, float]:
    """Seconds from Play until the Sweep page says every value is trained, and the longest the page's progress
    stood still without a notice above it (a Train page playing in another tab of the same server, or not)."""
    with chromium() as browser:
        if with_train:
            train = browser.new_page(viewport={"width": 1400, "height": 950})
            train.goto(url, wait_until="domcontentloaded")
            in_view(train, RENDERS + " > 0")
            train.get_by_role("button", name="Play").click()
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        page.goto(f"{url}/sweep?loss=a_softmax&values=1,2,3,4&dim=3&seed=0", wait_until="domcontentloaded")
        in_view(page, RENDERS + " > 0")
        progress = page.get_by_test_id("stProgress")
        began = time.time()
        page.get_by_role("button", name="Play").click()
        last, moved, still = None, time.time(), 0.0
        while time.time() - began < 600:
            text = progress.inner_text(timeout=60_000) if progress.count() else ""
            if "every value trained" in text:
                return time.time() - began, still
            noticed = page.get_by_test_id("stAlert").count() > 0
            if text != last or noticed:
                last, moved = text, time.time()
            still = max(still, time.time() - moved)
            page.wait_for_timeout(250)
        return float("inf"), still


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=[*CASES, "sweep"], action="append")
    parser.add_argument("--rounds", type=int, default=5, help="fresh servers per case (default 5)")
    parser.add_argument("--presses", type=int, default=4, help="slider presses per round (default 4)")
    parser.add_argument("--app", type=Path, default=ROOT, help="the checkout whose app.py is served")
    parser.add_argument("--before", type=Path, help="an older checkout, benchmarked in the same rounds")
    args = parser.parse_args()
    print(f"machine: {machine()}; app: {args.app}")
    import devtools.appdriver as appdriver

    appdriver.ROOT = args.app.resolve()  # app_server runs app.py of this checkout
    if "sweep" in (args.only or [*CASES, "sweep"]):
        cli = [sweep_cli() for _ in range(args.rounds)]
        print(f"sweep ({SWEEP}): CLI {statistics.median(cli):.1f} s (median of {len(cli)})", flush=True)
        for with_train in (False, True):
            pages = []
            for _ in range(args.rounds):
                with app_server(env={"SPHEREFACE_VIZ_DATA": str(DATA)}) as (url, _):
                    pages.append(sweep_page(url, with_train))
            print(f"sweep page{' with Train playing in another tab' if with_train else ''}: "
                  f"{statistics.median(p[0] for p in pages):.1f} s (median of {len(pages)}, "
                  f"{statistics.median(p[0] for p in pages) / statistics.median(cli):.2f}x the CLI); longest still "
                  f"without a notice {max(p[1] for p in pages):.1f} s", flush=True)
    for name in [n for n in args.only or list(CASES) if n in CASES]:
        case = CASES[name]
        if args.app.resolve() == ROOT:
            frame = per_frame(case)
            print(f"{name}: per frame {frame['bytes'] / 1000:.1f} kB, server CPU {frame['cpu_ms']:.1f} ms "
                  f"({frame['embed_cpu_ms']:.0f} ms when it asks for a new embedding)")
        versions = {"": args.app.resolve()} if args.before is None else {"before": args.before.resolve(),
                                                                         "after": args.app.resolve()}
        rounds = {label: [] for label in versions}
        for k in range(args.rounds):
            for label, app in versions.items():  # interleaved: both versions see the machine as it is
                appdriver.ROOT = app
                headless = headless_steps(case)  # just before: the machine's speed drifts between minutes
                with app_server(env={"SPHEREFACE_VIZ_DATA": str(DATA)}) as (url, _):
                    rounds[label].append({**in_browser(url, case, args.presses), "headless": headless})
                r = rounds[label][-1]
                print(f"  round {k + 1}{' ' + label if label else ''}: {r['redraws_per_s']:.2f} redraws/s, "
                      f"{r['steps_per_s']:.1f} steps/s of {headless:.1f} headless ({r['steps_per_s'] / headless:.0%}), slider → chart {', '.join(f'{x:.2f}' for x in r['latencies'])} "
                      f"s; frames mounted while playing: {r['mounts']}; Play → first moved frame "
                      f"{r['first_frame']:.2f} s", flush=True)
        summary = {label: summarise(runs) for label, runs in rounds.items()}
        for label, m in summary.items():
            print(f"{name}{' ' + label if label else ''}: median of {args.rounds} rounds: {m['redraws']:.2f} redraws/s, "
                  f"{m['steps']:.1f} steps/s, {m['share']:.0%} of headless; slider → chart median {m['slider']:.2f} s, max {m['slider_max']:.2f} s "
                  f"({m['presses']} presses); Play → first moved frame median {m['first']:.2f} s")
        if args.before is not None:
            after, before = summary["after"], summary["before"]
            print(f"{name}: after / before, same run: redraws ×{after['redraws'] / before['redraws']:.2f}, "
                  f"training steps ×{after['steps'] / before['steps']:.2f}, slider median ×"
                  f"{after['slider'] / before['slider']:.2f}")


def summarise(rounds: list[dict]) -> dict:
    latencies = [x for r in rounds for x in r["latencies"]]
    return {"redraws": statistics.median(r["redraws_per_s"] for r in rounds),
            "steps": statistics.median(r["steps_per_s"] for r in rounds),
            "share": statistics.median(r["steps_per_s"] / r["headless"] for r in rounds), "slider": statistics.median(latencies),
            "slider_max": max(latencies), "presses": len(latencies),
            "first": statistics.median(r["first_frame"] for r in rounds)}

if __name__ == "__main__":
    main()
