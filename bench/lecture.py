"""Benchmark: a lecture hall on one link (issue #35). N students on one app process, clients of Streamlit's protocol
on the same machine (devtools/streamclient.py: they fetch every frame as a page does and draw nothing, as a class's
laptops draw for themselves), in two flows:

link     every student opens the same link and presses Play: one session trains the run, the others follow it
present  the teacher presents (pages/ui/presenting.py), the students open the student link, the teacher presses Play

For each: how many students showed the run's end, seconds from Play to each student's first moved frame (p95),
frames each follower received per second over a 20-s window, lost requests and errors, the training's steps/s
against the same trainer stepping headless; in present mode also the teacher's m slider → each follower's frame
showing it; the server's CPU per follower against the teacher alone, the clients' own CPU, and memory per follower.

    python bench/lecture.py --students 100 --rounds 3
    python bench/lecture.py --students 30 100 300 --flows present
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.load import cpu_seconds, headless_steps_per_second  # noqa: E402
from bench.train import machine  # noqa: E402
from devtools.appdriver import app_server, rss_mb  # noqa: E402
from devtools.streamclient import StreamClient  # noqa: E402
from sphereface_viz.recipe import NO_SCHEDULE, TrainConfig  # noqa: E402
from sphereface_viz.trainer import Trainer  # noqa: E402

SETUP = {"loss": "a_softmax", "dim": 3, "seed": 7}
WINDOW = 20.0        # seconds over which followers' redraws and the training's steps are counted
MARGINS = (3.5, 3.0, 2.5, 3.0, 3.5, 4.0)  # the teacher's slider steps, WINDOW / len apart
GIVE_UP = 120.0      # seconds a student may take to show the run's end


def link(extra: dict | None = None) -> str:
    return "&".join(f"{k}={v}" for k, v in {**SETUP, "points": 1000, **(extra or {})}.items())


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def loop_cpu(pid: int) -> float:
    """CPU seconds of the server's main thread, which runs its event loop: every HTTP answer to a page is spent
    there (the frames themselves are built once, by a stage's thread)."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def open_all(url: str, query: str, n: int, batch: int = 25) -> list[StreamClient]:
    clients = []
    for start in range(0, n, batch):  # a class arriving over a few seconds, not one instant
        group = [StreamClient(url) for _ in range(min(batch, n - start))]
        await asyncio.gather(*(client.open(query) for client in group))
        clients += group
    return clients


PROFILE: str | None = None  # --profile: py-spy's samples of the server, to this file and <this file>.play


def profile(pid: int, seconds: float, suffix: str = "") -> None:
    """py-spy's samples of the thread holding the server's GIL over the next `seconds` (--profile), read without
    pausing the server (a hundred threads paused fifty times a second would be what it measures)."""
    if PROFILE:
        subprocess.Popen(["py-spy", "record", "--gil", "--nonblocking", "-r", "50", "-d", str(int(seconds)),
                          "-f", "raw",
                          "-o", PROFILE + suffix, "-p", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def window(clients, seconds: float, pid: int) -> tuple[float, float, float, float]:
    """(server CPU, clients' CPU, wall seconds, the server's event loop's CPU) over the window."""
    cpu, mine, began, loop = cpu_seconds(pid), own_cpu(), time.monotonic(), loop_cpu(pid)
    if seconds >= WINDOW:
        profile(pid, seconds)
    await asyncio.sleep(seconds)
    return cpu_seconds(pid) - cpu, own_cpu() - mine, time.monotonic() - began, loop_cpu(pid) - loop


def rates(clients, start: float, end: float) -> list[float]:
    return [sum(start <= t < end for t, _, _ in c.frames) / (end - start) for c in clients]


def steps_per_second(client, start: float, end: float) -> float:
    inside = [(t, step) for t, step, _ in client.frames if start <= t < end]
    if len(inside) < 2:
        return 0.0
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


async def slide_and_wait(teacher, followers, value: float) -> list[float]:
    """The teacher moves m; seconds until each follower received a frame titled with it."""
    label = f"m = {value:g} "
    sent = time.monotonic()
    await teacher.slide("m", value)
    deadline = sent + 10
    while time.monotonic() < deadline:
        shown = [next((t for t, _, title in c.frames if t >= sent and label in title + " "), None) for c in followers]
        if None not in shown:
            break
        await asyncio.sleep(0.05)
    return [s - sent if s is not None else float("inf") for s in shown]


async def flow(url: str, pid: int, n: int, kind: str, end: int, headless: float) -> dict:
    idle = rss_mb(pid)
    teacher = None
    if kind == "present":
        teacher = StreamClient(url)
        await teacher.open(link())
        await teacher.press("Present to the class")
        await asyncio.sleep(2)
        student_link = next(code for code in teacher.codes if "follow=" in code and "controls" not in code)
        clients = await open_all(url, urlsplit(student_link).query, n)
        joined = rss_mb(pid)
        cpu0 = cpu_seconds(pid)
        await teacher.press("Play")
        pressed = [time.monotonic()] * n
    else:
        clients = await open_all(url, link(), n)
        joined = rss_mb(pid)
        cpu0 = cpu_seconds(pid)
        pressed = []
        profile(pid, 10, ".play")
        for client in clients:
            await client.press("Play")
            pressed.append(time.monotonic())
    # the end of the run, then a steady window
    deadline, storm = time.monotonic() + GIVE_UP, (own_cpu(), cpu_seconds(pid), time.monotonic())
    while time.monotonic() < deadline and any(c.reached(end) is None for c in clients):
        await asyncio.sleep(0.25)
        if storm and all(c.reached(1) is not None for c in clients):
            print(f"  every student's first frame {time.monotonic() - storm[2]:.1f} s after the last Play: "
                  f"clients' CPU {own_cpu() - storm[0]:.1f} s, server's {cpu_seconds(pid) - storm[1]:.1f} s", flush=True)
            storm = None
    shown = [c.reached(end) - p for c, p in zip(clients, pressed) if c.reached(end) is not None]
    first = [c.reached(1) - p for c, p in zip(clients, pressed) if c.reached(1) is not None]
    began = time.monotonic()
    if kind == "present":
        latencies = []

        async def slides():
            for value in MARGINS:
                await asyncio.sleep(WINDOW / len(MARGINS) - 1)
                latencies.extend(await slide_and_wait(teacher, clients, value))
        task = asyncio.ensure_future(slides())
        server, mine, wall, loop = await window(clients, WINDOW, pid)
        await task
    else:
        server, mine, wall, loop = await window(clients, WINDOW, pid)
        latencies = []
    # the session that trains: in present mode the teacher; on a link, the one whose frames are its own
    trained = steps_per_second(teacher or max(clients, key=lambda c: len(c.frames)), began, began + WINDOW)
    result = {
        "students": n, "flow": kind, "ended": len(shown), "to_end": statistics.median(shown) if shown else None,
        "first_p95": p95(first) if first else None, "first_n": len(first),
        "redraws": statistics.median(rates(clients, began, began + WINDOW)),
        "redraws_min": min(rates(clients, began, began + WINDOW)),
        "lost": sum(c.lost for c in clients), "errors": sum(c.errors for c in clients) + (
            teacher.errors if teacher else 0),
        "training": trained / headless, "server_cores": server / wall, "clients_cores": mine / wall,
        "mb_per_student": (joined - idle) / n, "reruns": sum(c.reruns for c in clients),
        "cpu_total": cpu_seconds(pid) - cpu0,
    }
    if latencies:
        finite = [x for x in latencies if x != float("inf")]
        result.update(slide_median=statistics.median(latencies), slide_p95=p95(latencies),
                      slide_missed=len(latencies) - len(finite))
    for client in clients:
        await client.close()
    if teacher is not None:  # the teacher alone, playing on: the server's cost without the room
        await asyncio.sleep(3)
        _, _, alone_wall, alone = await window([], WINDOW / 2, pid)
        result["per_follower"] = (loop / wall - alone / alone_wall) / n
        await teacher.close()
    return result


def report(r: dict) -> str:
    parts = [f"{r['flow']:7s} {r['students']:3d} students: {r['ended']}/{r['students']} showed the end "
             f"(median {r['to_end'] or float('nan'):.1f} s after Play)",
             f"first moved frame p95 {r['first_p95'] or float('nan'):.2f} s ({r['first_n']} students)",
             f"redraws/s median {r['redraws']:.2f} (min {r['redraws_min']:.2f})",
             f"{r['lost']} lost, {r['errors']} errors", f"training {r['training']:.0%} of headless",
             f"server {r['server_cores']:.2f} cores, clients {r['clients_cores']:.2f} cores",
             f"{r['mb_per_student']:.2f} MB per student", f"{r['reruns']} page runs asked by frames"]
    if "per_follower" in r:
        parts.append(f"server's event loop per follower {100 * r['per_follower']:.2f}% of a core")
    if "slide_median" in r:
        parts.append(f"slider → follower median {r['slide_median']:.2f} s, p95 {r['slide_p95']:.2f} s "
                     f"({r['slide_missed']} missed)")
    return "; ".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", nargs="*", type=int, default=[100])
    p.add_argument("--flows", nargs="*", choices=["link", "present"], default=["link", "present"])
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--profile", help="py-spy's samples of the server's GIL holders over the window, to this file")
    args = p.parse_args()
    global PROFILE
    PROFILE = args.profile
    config = TrainConfig(threads=1, snapshot_every=NO_SCHEDULE, eval_size=1000, **SETUP)
    end = Trainer(config).total_steps
    print(f"machine: {machine()}; server and clients on the same machine; the run: {SETUP}, 1,000 points, "
          f"{end} steps", flush=True)
    for n in args.students:
        for kind in args.flows:
            for round_ in range(args.rounds):
                # a fresh server and run store each round: the link's run is trained, not replayed
                with app_server(None, "--server.disconnectedSessionTTL", "10") as (url, server):
                    headless = headless_steps_per_second(5.0, **SETUP)
                    result = asyncio.run(flow(url, server.pid, n, kind, end, headless))
                print(f"  round {round_ + 1}: {report(result)}; headless {headless:.0f} steps/s", flush=True)


if __name__ == "__main__":
    main()
