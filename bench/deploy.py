"""Benchmark: a lecture hall past one process (issue #36). deploy/'s recipe on one machine: one Redis (Debian's
redis-server, a password, localhost), two app processes sharing it (SPHEREFACE_VIZ_STORE), nginx in front
(deploy/nginx.conf, route cookies). The teacher presents on the first process; N students open the student link
through nginx, which splits them between both; protocol clients on the same machine (devtools/streamclient.py).

Per round: students that showed the run's end; first frame after Play (p95); frames per second each follower
received over a 20-s window, those of each process apart; lost requests and errors; the teacher's m slider → each
follower's frame showing it, students of the other process apart (their frames come through Redis); then the
teacher's process is killed, the teacher's page opens its presenter link again (nginx sends it to the other process,
which takes the run on from Redis): seconds until the other process's students see the run move on.

    python bench/deploy.py --students 100 --rounds 3
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.lecture import GIVE_UP, MARGINS, SETUP, WINDOW, link, open_all, p95, rates, slide_and_wait  # noqa: E402
from bench.train import machine  # noqa: E402
from devtools.appdriver import app_server, nginx_front  # noqa: E402
from devtools.redisserver import RedisServer  # noqa: E402
from devtools.streamclient import StreamClient  # noqa: E402
from sphereface_viz.recipe import NO_SCHEDULE, TrainConfig  # noqa: E402
from sphereface_viz.trainer import Trainer  # noqa: E402

FRONT = "http://127.0.0.1:8500"  # deploy/nginx.conf
TAKEOVER_LIMIT = 30.0  # seconds the kill measurement waits at most


def share(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} / p95 {p95(values):.2f} s" if values else "none"


async def flow(teacher_url: str, teacher_server, n: int, end: int) -> dict:
    teacher = StreamClient(teacher_url)
    await teacher.open(link())
    await teacher.press("Present to the class")
    await asyncio.sleep(2)
    student_link = next(code for code in teacher.codes if "follow=" in code and "controls" not in code)
    presenter_link = next(code for code in teacher.codes if "present=" in code)
    clients = await open_all(FRONT, urlsplit(student_link).query, n)
    await teacher.press("Play")
    pressed = time.monotonic()
    deadline = pressed + GIVE_UP
    while time.monotonic() < deadline and any(c.reached(end) is None for c in clients):
        await asyncio.sleep(0.25)
    shown = [c.reached(end) - pressed for c in clients if c.reached(end) is not None]
    first = [c.reached(1) - pressed for c in clients if c.reached(1) is not None]
    far = [any(c.relayed) for c in clients]  # students of the other process: their frames came through Redis
    began, latencies = time.monotonic(), []
    for value in MARGINS:
        await asyncio.sleep(WINDOW / len(MARGINS) - 1)
        latencies.append(await slide_and_wait(teacher, clients, value))
    rate = rates(clients, began, began + WINDOW)
    result = {
        "students": n, "far": sum(far), "ended": len(shown), "first_p95": p95(first) if first else None,
        "redraws_near": [r for r, f in zip(rate, far) if not f], "redraws_far": [r for r, f in zip(rate, far) if f],
        "slide_near": [x for row in latencies for x, f in zip(row, far) if not f],
        "slide_far": [x for row in latencies for x, f in zip(row, far) if f],
        "lost": sum(c.lost for c in clients), "errors": sum(c.errors for c in clients) + teacher.errors,
    }
    # the teacher's process dies; the teacher's page opens the presenter link again, through nginx
    watching = [c for c, f in zip(clients, far) if f]
    last = max((step for c in watching for _, step, _ in c.frames), default=0)
    await teacher.close()
    teacher_server.kill()
    killed = time.monotonic()
    again = StreamClient(FRONT)
    await again.open(urlsplit(presenter_link).query)
    while time.monotonic() - killed < TAKEOVER_LIMIT and not any(
            step > last + 5 for c in watching for t, step, _ in c.frames if t > killed):
        await asyncio.sleep(0.1)
    moved = [t for c in watching for t, step, _ in c.frames if t > killed and step > last + 5]
    result["takeover"] = min(moved) - killed if moved else None
    for client in clients + [again]:
        await client.close()
    return result


def report(r: dict) -> str:
    finite = lambda xs: [x for x in xs if x != float("inf")]  # noqa: E731
    return "; ".join([
        f"{r['ended']}/{r['students']} showed the end ({r['far']} on the other process)",
        f"first frame p95 {r['first_p95'] or float('nan'):.2f} s",
        f"redraws/s median, teacher's process {statistics.median(r['redraws_near'] or [0]):.2f} "
        f"(min {min(r['redraws_near'] or [0]):.2f}), other {statistics.median(r['redraws_far'] or [0]):.2f} "
        f"(min {min(r['redraws_far'] or [0]):.2f})",
        f"{r['lost']} lost, {r['errors']} errors",
        f"slider → follower, teacher's process {share(finite(r['slide_near']))}, other process "
        f"{share(finite(r['slide_far']))} ({len(r['slide_far']) - len(finite(r['slide_far']))} missed)",
        f"teacher's process killed → the run moves on the other in "
        f"{r['takeover'] if r['takeover'] is None else round(r['takeover'], 1)} s"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    end = Trainer(TrainConfig(threads=1, snapshot_every=NO_SCHEDULE, eval_size=1000, **SETUP)).total_steps
    print(f"machine: {machine()}; Redis, two app processes, nginx and the clients on the same machine; the run: "
          f"{SETUP}, 1,000 points, {end} steps", flush=True)
    for round_ in range(args.rounds):
        with RedisServer() as redis:
            env = {"SPHEREFACE_VIZ_STORE": redis.url, "STREAMLIT_SERVER_COOKIE_SECRET": os.urandom(16).hex()}
            with app_server(8501, "--server.disconnectedSessionTTL", "10", env=env) as (url, a), \
                    app_server(8502, "--server.disconnectedSessionTTL", "10", env=env), nginx_front():
                result = asyncio.run(flow(url, a, args.students, end))
        print(f"  round {round_ + 1}: {report(result)}", flush=True)


if __name__ == "__main__":
    main()
