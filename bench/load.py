"""Benchmark of the app under a classroom's load (issues #5 and #6), in headless Chromium via Playwright.

    python bench/load.py                          # every part (~15 min on 2 cores)
    python bench/load.py --only single sessions   # single, sessions, room, cycles, proxy
    python bench/load.py --only room --clients protocol

single    one student on the Train page: redraws per second in the browser, training steps per second
          in the app against the same trainer stepping headless, before and after (the ratio issue #5 asks for)
sessions  N students at once, each pressing Play on a run of its own (seeds 0..N-1): steps/s and redraws/s
          per session, server memory
room      30 students open the same teacher link and press Play (issue #16): seconds until each shows the
          whole run, errors, the server's CPU against one headless training of that run, memory; first
          with the run store empty (one session trains, the rest follow), then again once it holds the run.
          --clients protocol: the sessions speak Streamlit's websocket protocol and draw nothing
          (devtools/streamclient.py), so the figures are the server's alone
cycles    50 open → train → close cycles: server memory before and after (sessions must be freed)
proxy     deploy/nginx.conf in front of two app processes: every session trains and stays on one process

Every browser page runs on the same machine as the server: on 2 cores, Chromium drawing N live charts
takes CPU from the training it is showing. Figures are medians over the sessions of one run.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.appdriver import app_server, chromium, live_frame, nginx_front, renders, rss_mb, step_count  # noqa: E402
from devtools.streamclient import StreamClient  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from bench.train import machine  # noqa: E402
from sphereface_viz.recipe import NO_SCHEDULE, TrainConfig  # noqa: E402
from sphereface_viz.trainer import Trainer  # noqa: E402

VIEW = {"width": 1400, "height": 950}
JANITOR_PERIOD = 30.0  # sphereface_viz.housekeeping.start()
MNIST = str(ROOT.parent / "shared" / "data" / "mnist")
SERVER_ENV = {"SPHEREFACE_VIZ_DATA": str(Path(MNIST).parent)}  # the app finds <data>/mnist there


def open_session(browser, url: str):
    context = browser.new_context(viewport=VIEW)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    live_frame(page, timeout=120_000)
    return context, page


def play(page, timeout: float = 60_000) -> None:
    page.get_by_role("button", name="Play").click()
    page.get_by_role("button", name="Pause").wait_for(timeout=timeout)


def measure(pages, seconds: float) -> list[tuple[float, float]]:
    """(steps/s, redraws/s) of every page over `seconds`."""
    before = [(step_count(p), renders(p), time.monotonic()) for p in pages]
    time.sleep(seconds)
    out = []
    for page, (steps, drawn, t0) in zip(pages, before):
        elapsed = time.monotonic() - t0
        out.append(((step_count(page) - steps) / elapsed, (renders(page) - drawn) / elapsed))
    return out


def headless_steps_per_second(seconds: float = 10.0, **config) -> float:
    """The Train page's trainer (one thread, 1,000 evaluation images) stepping with nothing else."""
    torch.set_num_threads(1)
    trainer = Trainer(TrainConfig(threads=1, snapshot_every=NO_SCHEDULE, eval_size=1000, **config))
    trainer.step(20)
    began, steps = time.perf_counter(), trainer.step_count
    while time.perf_counter() - began < seconds:
        trainer.step(10)
    return (trainer.step_count - steps) / (time.perf_counter() - began)


def choose_mnist(page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="mnist", exact=True).click()  # from the server's data folder (SERVER_ENV)
    time.sleep(10)  # MNIST loads and a new trainer is built
    if page.get_by_test_id("stAlert").count():
        raise SystemExit("MNIST did not load: " + page.get_by_test_id("stAlert").first.inner_text())


def draw_points(page, count: int) -> None:
    """Set the Train page's "Points drawn" (More, in the sidebar); the trainer resets."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("More").click()
    thumb = sidebar.get_by_role("slider", name="Points drawn")
    thumb.focus()
    for _ in range(4):
        if thumb.get_attribute("aria-valuetext") == str(count):
            break
        thumb.press("ArrowRight" if int(thumb.get_attribute("aria-valuetext")) < count else "ArrowLeft")
        time.sleep(1)
    time.sleep(10)  # a new trainer is built
    if thumb.get_attribute("aria-valuetext") != str(count):
        raise SystemExit(f"could not set Points drawn to {count}")


def single(url: str, browser, pid: int) -> None:
    idle = rss_mb(pid)
    mnist = {"dataset": "mnist", "data_dir": MNIST, "download": False}
    for name, config, points in (("digits (360 test points)", {}, 1000), ("MNIST (1,000 test points)", mnist, 1000),
                                 ("MNIST (2,000 test points)", mnist, 2000),
                                 ("MNIST (2,000 training-batch points)", mnist, 2000)):
        before = headless_steps_per_second(**config)
        began = time.monotonic()
        context, page = open_session(browser, url)
        first_paint = time.monotonic() - began
        if config:
            choose_mnist(page)
        if points != 1000:
            draw_points(page, points)
        if "training-batch" in name:  # the features the loss acted on: no forward pass per redraw
            page.get_by_test_id("stSidebar").get_by_text("training batches").click()
            time.sleep(3)
        play(page)
        time.sleep(5)
        runs = [measure([page], 10)[0] for _ in range(3)]
        memory = rss_mb(pid)
        context.close()
        # the mean of a headless run before and one after: this machine's speed drifts by up to a third
        headless = (before + headless_steps_per_second(**config)) / 2
        steps = statistics.median(r[0] for r in runs)
        drawn = statistics.median(r[1] for r in runs)
        print(f"  {name}: headless {headless:.0f} steps/s; in the app {steps:.0f} steps/s ({steps / headless:.0%}); "
              f"browser redraws {drawn:.1f}/s (medians of 3 × 10 s); page to first chart {first_paint:.1f} s; "
              f"server {idle:.0f} MB idle, {memory:.0f} MB with this session", flush=True)


def sessions(url: str, browser, counts: list[int], pid: int) -> None:
    print(f"  {'N':>3s} {'steps/s per session (min–median)':>34s} {'redraws/s (min–median)':>24s} "
          f"{'server MB':>9s} {'waiting':>7s}")
    for n in counts:
        # a run each: students sharing one link share its training (sphereface_viz.store), see `room`
        opened = [open_session(browser, f"{url}/?seed={k}") for k in range(n)]
        pages = [p for _, p in opened]
        for page in pages:
            play(page)
        time.sleep(8)
        figures = measure(pages, 20)
        steps = [f[0] for f in figures]
        drawn = [f[1] for f in figures]
        waiting = sum(p.get_by_text("Waiting for a free training slot").count() > 0 for p in pages)
        errors = sum(p.get_by_test_id("stException").count() for p in pages)
        print(f"  {n:3d} {min(steps):17.1f} – {statistics.median(steps):6.1f}      "
              f"{min(drawn):10.2f} – {statistics.median(drawn):5.2f}    {rss_mb(pid):9.0f} {waiting:7d}"
              + (f"  {errors} ERRORS" if errors else ""), flush=True)
        for context, _ in opened:
            context.close()
        time.sleep(5)


def shown_step(page) -> int:
    """The step a Train page shows, or -1 while its chart is being drawn again (a busy browser may take
    longer than a read waits)."""
    try:
        return step_count(page, timeout=5_000)
    except PlaywrightTimeout:
        return -1


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def room(url: str, browser, pid: int, n: int, link: str = "/?loss=a_softmax&dim=2&seed=7",
         protocol: bool = False) -> None:
    """n sessions open one link; each presses Play; seconds from its Play until it shows the run's last step.
    protocol: the sessions are devtools.streamclient's clients, which draw nothing, in place of Chromium pages."""
    config = TrainConfig(threads=1, snapshot_every=NO_SCHEDULE, eval_size=1000, loss="a_softmax", dim=2, seed=7)
    trainer = Trainer(config)
    torch.set_num_threads(1)
    began = time.process_time()
    trainer.run(eval_every=None)
    alone = time.process_time() - began
    end = trainer.total_steps
    print(f"  the link's run: {end:,} steps; trained headless on one thread in {alone:.1f} s of CPU", flush=True)
    for label in ("store empty: one session trains, the others follow it", "store holding the run: replayed"):
        if protocol:
            with ThreadPoolExecutor(1) as thread:  # Playwright's sync API already runs a loop in this one
                shown, errors, cpu, pressed = thread.submit(asyncio.run, protocol_room(url, link, n, end, pid)).result()
        else:
            shown, errors, cpu, pressed = browser_room(url + link, browser, n, end, pid)
        done = [s for s in shown if s is not None]
        timing = (f"median {statistics.median(done):.1f}, max {max(done):.1f}" if done else
                  f"none within {time.monotonic() - pressed:.0f} s of the first Play")
        print(f"  {label}: {len(done)} of {n} sessions showed step {end:,}; seconds from Play: {timing}; "
              f"{errors} errors; server CPU {cpu:.1f} s "
              f"({cpu / alone:.1f}× one training); server memory {rss_mb(pid):.0f} MB", flush=True)
        time.sleep(5)


def browser_room(url: str, browser, n: int, end: int, pid: int, seconds: float = 300):
    """n Chromium pages: (seconds each took to show step `end`, or None), errors, server CPU, first Play."""
    opened = [open_session(browser, url) for _ in range(n)]
    pages = [p for _, p in opened]
    cpu, pressed, shown = cpu_seconds(pid), [], [None] * n
    for page in pages:
        play(page, timeout=300_000)  # 30 pages drawing on the server's own two cores answer slowly
        pressed.append(time.monotonic())
    deadline = time.monotonic() + seconds
    while None in shown and time.monotonic() < deadline:
        for k, page in enumerate(pages):
            if shown[k] is None and shown_step(page) >= end:
                shown[k] = time.monotonic() - pressed[k]
    cpu = cpu_seconds(pid) - cpu
    errors = sum(p.get_by_test_id("stException").count() for p in pages)
    for context, _ in opened:
        context.close()
    return shown, errors, cpu, pressed[0]


async def protocol_room(url: str, link: str, n: int, end: int, pid: int, seconds: float = 300):
    """As browser_room, with n clients of Streamlit's protocol (devtools.streamclient): the step counts
    when the frame carrying it arrives, as a student's laptop would receive it, before drawing it."""
    clients = [StreamClient(url) for _ in range(n)]
    await asyncio.gather(*(client.open(urlsplit(link).query) for client in clients))
    cpu, pressed = cpu_seconds(pid), []
    for client in clients:
        await client.press("Play")
        pressed.append(time.monotonic())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(client.reached(end) is None for client in clients):
        await asyncio.sleep(0.25)
    cpu = cpu_seconds(pid) - cpu
    shown = [None if c.reached(end) is None else c.reached(end) - p for c, p in zip(clients, pressed)]
    moved = [c.reached(1) - p for c, p in zip(clients, pressed) if c.reached(1) is not None]
    print(f"  first moved frame after Play: median {statistics.median(moved):.1f} s, max {max(moved):.1f} s "
          f"({len(moved)} of {n} sessions)" if moved else "  no session showed a moved frame", flush=True)
    errors = sum(client.errors for client in clients)
    print(f"  frame requests lost and asked again: {sum(client.lost for client in clients)}", flush=True)
    await asyncio.gather(*(client.close() for client in clients))
    return shown, errors, cpu, pressed[0]


def cycles(url: str, browser, pid: int, count: int, ttl: float) -> None:
    def settle() -> float:
        """Server memory once every closed session is gone: Streamlit keeps a closed session for the TTL
        and drops it at the next disconnect after that (one short visit here, as a class would make),
        and the app's janitor (sphereface_viz.housekeeping) frees it within its period."""
        time.sleep(ttl + 2)
        context, _ = open_session(browser, url)
        context.close()
        time.sleep(ttl + JANITOR_PERIOD + 5)
        return rss_mb(pid)

    context, page = open_session(browser, url)  # warm up: imports, the dataset, the first trainer
    play(page)
    time.sleep(3)
    context.close()
    before = settle()
    for k in range(count):
        context, page = open_session(browser, url)
        play(page)
        time.sleep(2)
        context.close()
    peak = rss_mb(pid)
    after = settle()
    print(f"  server memory: {before:.0f} MB before, {peak:.0f} MB right after {count} cycles, {after:.0f} MB once "
          f"the closed sessions expired ({after - before:+.0f} MB)", flush=True)


def proxy(browser, n: int) -> None:
    secret = {"STREAMLIT_SERVER_COOKIE_SECRET": os.urandom(16).hex()}
    with app_server(8501, env=secret) as (_, a), app_server(8502, env=secret) as (_, b), nginx_front() as access:
        opened = [open_session(browser, "http://127.0.0.1:8500") for _ in range(n)]
        for _, page in opened:
            play(page)
        time.sleep(8)
        figures = measure([p for _, p in opened], 20)
        routes = [k["value"] for c, _ in opened for k in c.cookies() if k["name"] == "svz_route"]
        log = access.read_text()
        for context, _ in opened:
            context.close()
        steps = [f[0] for f in figures]
        print(f"  {n} sessions through nginx on two processes: steps/s per session min {min(steps):.1f}, "
              f"median {statistics.median(steps):.1f}; redraws/s median "
              f"{statistics.median(f[1] for f in figures):.2f}; {len(set(routes))} route cookies; "
              f"server memory {rss_mb(a.pid):.0f} + {rss_mb(b.pid):.0f} MB; "
              f"{log.count('/_stcore/stream')} websocket requests logged", flush=True)


def main() -> None:
    parts = ["single", "sessions", "room", "cycles", "proxy"]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=parts, default=parts)
    p.add_argument("--sessions", nargs="*", type=int, default=[1, 5, 10, 15])
    p.add_argument("--room", type=int, default=30)
    p.add_argument("--clients", choices=["chromium", "protocol"], default="chromium",
                   help="the room's sessions: Chromium pages on this machine, or clients of Streamlit's protocol "
                        "that draw nothing (a class's laptops draw for themselves)")
    p.add_argument("--cycles", type=int, default=50)
    args = p.parse_args()
    ttl = 30.0
    print(f"machine: {machine()}; server and Chromium on the same machine", flush=True)
    with chromium() as browser, app_server(None, "--server.disconnectedSessionTTL", str(int(ttl)),
                                           env=SERVER_ENV) as (url, server):
        if "single" in args.only:
            print("\n## one session on the Train page (A-Softmax 2-D)")
            single(url, browser, server.pid)
        if "sessions" in args.only:
            print("\n## concurrent sessions, each training on the Train page")
            sessions(url, browser, args.sessions, server.pid)
        if "room" in args.only:
            print(f"\n## a class on one link: {args.room} sessions open it and press Play")
            room(url, browser, server.pid, args.room, protocol=args.clients == "protocol")
        if "cycles" in args.only:
            print(f"\n## {args.cycles} open-train-close cycles (disconnectedSessionTTL {ttl:.0f} s)")
            cycles(url, browser, server.pid, args.cycles, ttl)
        if "proxy" in args.only:
            print("\n## a larger class: nginx (deploy/nginx.conf), sticky sessions, two app processes")
            proxy(browser, 10)


if __name__ == "__main__":
    main()
