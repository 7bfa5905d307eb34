"""Every picture in the README and docs, made by the project itself from a fixed seed:

    python docs/figures.py               # writes docs/img/ (about 15 minutes on a 2-core laptop)
    python docs/figures.py --quick OUT   # a short run into OUT: what CI checks (tests/test_figures.py)

- settling.gif: the replay of one run (digits, A-Softmax, 2-D, seed 0), `sphereface_viz.animation`;
- anatomy.png: one moment of that run, λ still above its floor, with numbered callouts (README,
  "What you are looking at");
- train.png: the Train page itself, `streamlit run app.py` in headless Chromium, after 35 s of Play;
- map.png: the Train page in 3-D with `view=map`, the whole sphere at once, after 30 s of Play;
- probe.png: "Where does your digit land?" with a 7 drawn by the mouse, the Train page's network trained 20 s;
- lesson-N.png: each demo of docs/teaching.md, opened from its link and played as the plan says.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.appdriver import app_server, chromium, live_frame  # noqa: E402 - the tests' way to start the app
from sphereface_viz import animation  # noqa: E402
from sphereface_viz.export import snapshot_figure  # noqa: E402
from sphereface_viz.plots import INK  # noqa: E402
from sphereface_viz.runio import atomic_write, run_from_trainer  # noqa: E402
from sphereface_viz.recipe import TrainConfig  # noqa: E402
from sphereface_viz.trainer import Trainer  # noqa: E402

GIF_SIZE = (768, 576)      # smaller than the slides' frames: the README loads it on every visit
SCREEN = (1280, 800)


def trained(quick: bool):
    trainer = Trainer(TrainConfig(loss="a_softmax", dim=2, seed=0, epochs=2 if quick else None, threads=2))
    trainer.snapshot_every = max(1, trainer.total_steps // animation.FRAMES)  # as `train --animation` does
    trainer.run()
    return trainer, run_from_trainer(trainer)


def settling(trainer, run, out: Path, quick: bool) -> None:
    frames = animation.FRAMES // 4 if quick else animation.FRAMES
    files = animation.encoded(
        animation.render(lambda: animation.replay_figures(trainer.loss, run, trainer.seen, frames), GIF_SIZE),
        1 / animation.FPS, hold=2.0)
    atomic_write(out / "settling.gif", files["gif"])


def middle(trace: dict) -> tuple[float, float]:
    """The middle point of a trace's first piece (pieces are split by NaN)."""
    x, y = np.asarray(trace["x"], float), np.asarray(trace["y"], float)
    stop = int(np.argmax(np.isnan(x))) if np.isnan(x).any() else len(x)
    return float(x[stop // 2]), float(y[stop // 2])


def anatomy(trainer, run, out: Path) -> None:
    """A moment with margin gaps open and λ not yet at its floor, so every element of the picture shows."""
    lam = [m.get("lambda") for m in run.snapshot_metrics]
    index = next((i for i, v in enumerate(lam) if v is not None and v < 3.0), len(lam) - 1)
    figure = snapshot_figure(trainer.loss, run, index, trainer.seen, points=600)
    traces = figure["data"]
    hover = lambda t: t.get("hovertemplate") or ""  # noqa: E731
    arc = next(t for t in traces if hover(t).startswith("owned by"))
    gap = next(t for t in traces if hover(t).startswith("margin gap"))
    dashed = next((t for t in traces if t.get("line", {}).get("dash") == "dash"), None)
    arrows = next(t for t in traces if t.get("mode") == "markers+text")
    dots = next(t for t in traces if t.get("mode") == "markers" and t.get("name") == "0")
    marks = [(1, middle(arc), "decision region of one class"), (2, middle(gap), "margin gap: no class wins"),
             (4, (float(arrows["x"][2]), float(arrows["y"][2])), "W_j: a class's weight vector"),
             (5, (float(np.median(dots["x"])), float(np.median(dots["y"]))), "a test image's feature")]
    if dashed is not None:
        x, y = np.asarray(dashed["x"], float), np.asarray(dashed["y"], float)
        marks.append((3, (float(x[1]), float(y[1])), "the boundary once λ reaches 0"))
    figure["layout"]["annotations"] = [
        {"x": x, "y": y, "text": f"<b>{n}</b>", "showarrow": True, "arrowhead": 2, "arrowwidth": 2,
         "arrowcolor": INK, "ax": 46 if x >= 0 else -46, "ay": -40 if y >= 0 else 40, "bgcolor": "#FFD84D",
         "bordercolor": INK, "borderwidth": 1.5, "borderpad": 4, "font": {"size": 20, "color": INK}}
        for n, (x, y), _ in sorted(marks)]
    figure["layout"]["title"]["text"] = "What the picture shows: " + " · ".join(
        f"{n} {what}" for n, _, what in sorted(marks)[:3]) + "<br>" + " · ".join(
        f"{n} {what}" for n, _, what in sorted(marks)[3:])
    figure["layout"]["title"]["font"] = {"size": 17}
    figure["layout"]["margin"]["t"] = 80
    frame, = animation.render([figure], (1100, 760))
    from PIL import Image

    Image.fromarray(frame).save(out / "anatomy.png", optimize=True)


def opened(browser, url: str):
    """A fresh browser (no cookies, no storage) on `url`, the page's first run finished."""
    page = browser.new_context(viewport={"width": SCREEN[0], "height": SCREEN[1]}).new_page()
    page.set_default_timeout(120_000)  # a page on a busy 2-core machine may answer slowly
    page.goto(url, wait_until="domcontentloaded")
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.locator("h1").first.wait_for()
    return page


def train_page(url: str, browser, out: Path, seconds: float):
    """The Train page as a student first sees it, after `seconds` of Play; the page, to go on from."""
    page = played(browser, url, seconds)
    page.screenshot(path=str(out / "train.png"))
    return page


def played(browser, url: str, seconds: float):
    """A page opened on `url`, its live view drawn, played for `seconds` and paused."""
    page = opened(browser, url)
    live_frame(page)
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(seconds * 1000)
    page.get_by_role("button", name="Pause").click()
    page.wait_for_timeout(2000)
    page.mouse.move(2, SCREEN[1] - 2)  # no tooltip in the picture
    return page


def map_page(url: str, browser, out: Path, seconds: float) -> None:
    """The whole sphere at once: ArcFace in 3-D drawn as Hammer's equal-area map."""
    page = played(browser, url + "/?loss=arcface&dim=3&m=0.5&view=map", seconds)
    page.screenshot(path=str(out / "map.png"))
    page.context.close()


SEVEN = [(0.2, 0.18), (0.8, 0.18), (0.45, 0.85)]  # a 7 across the pad, in fractions of its side


def probe_page(page, out: Path) -> None:
    """A 7 drawn with the mouse on the probe page, placed by the network the Train page `page` trained."""
    page.get_by_role("link", name="Where does your digit land?").click()
    pad = page.frame_locator('iframe[title*="sketch"]').locator("#pad")
    pad.wait_for()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + SEVEN[0][0] * box["width"], box["y"] + SEVEN[0][1] * box["height"])
    page.mouse.down()
    for x, y in SEVEN[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
    page.mouse.up()
    page.get_by_test_id("stDataFrame").wait_for()
    page.wait_for_timeout(2500)
    page.screenshot(path=str(out / "probe.png"))
    page.context.close()


def lesson_links() -> list[str]:
    """The links of docs/teaching.md's demos: each on a line of its own."""
    text = (ROOT / "docs" / "teaching.md").read_text()
    return [line.strip() for line in text.splitlines() if line.startswith("http://localhost:8501")]


def lesson(url: str, browser, out: Path, quick: bool = False) -> None:
    """Each demo of the lesson plan opened from its link and played as the plan says: lesson-N.png. A link
    the app cannot read in full is an error: the plan would promise what the page does not show."""
    for n, link in enumerate(lesson_links(), 1):
        if quick and not link.endswith("/geometry"):  # CI: the machinery, on the one demo that trains nothing
            continue
        page = opened(browser, url + link.removeprefix("http://localhost:8501"))
        play = page.get_by_role("button", name="Play")
        (page.locator(".js-plotly-plot").last if link.endswith("/geometry") else play).wait_for()  # first drawn
        if page.get_by_text("This link has settings the app cannot use").count():
            raise RuntimeError(f"{link}: {page.get_by_test_id('stAlert').first.inner_text()}")
        if not link.endswith("/geometry"):
            play.click()
            page.get_by_role("button", name="Pause").wait_for()
            sweep = "/sweep" in link
            deadline = time.time() + (600 if sweep else 60 if "/compare" in link else 30)
            # a sweep trains to the end and stops by itself; the others are paused after a while
            while time.time() < deadline and (not sweep or page.get_by_role("button", name="Pause").count()):
                page.wait_for_timeout(2000)
            if page.get_by_role("button", name="Pause").count():
                page.get_by_role("button", name="Pause").click()
            page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
            page.wait_for_timeout(3000)
        else:
            page.wait_for_timeout(3000)
        page.screenshot(path=str(out / f"lesson-{n}.png"), full_page=True)
        page.context.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--quick", action="store_true", help="a short run and few frames (for CI)")
    parser.add_argument("--only", choices=("readme", "lesson"), help="only the README's pictures, or only the "
                        "lesson plan's")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.only != "lesson":
        trainer, run = trained(args.quick)
        settling(trainer, run, args.out, args.quick)
        anatomy(trainer, run, args.out)
    with app_server() as (url, _), chromium() as browser:
        if args.only != "lesson":
            trained_page = train_page(url, browser, args.out, seconds=3 if args.quick else 35)  # 35 s: the schedule's
            probe_page(trained_page, args.out)                                                  # end, slowly
            map_page(url, browser, args.out, seconds=3 if args.quick else 30)
        if args.only != "readme":
            lesson(url, browser, args.out, args.quick)
    names = ", ".join(sorted(p.name for p in args.out.iterdir() if p.suffix in (".png", ".gif")))
    print(f"wrote {names} to {args.out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
