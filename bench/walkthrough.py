"""A teacher's ten minutes with the app, as screenshots to look at (artifacts/walkthrough/*.png).

    python bench/walkthrough.py

Start the app, press Play, slide m both ways, switch loss and dimension, turn the sphere, replay,
download, open Compare and Geometry, come back to Train. Each step prints what the page said
(step counter, accuracy) next to its screenshot's name; the pictures are for a person to look at.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.appdriver import LIVE_VIEW, app_server, chromium, live_frame, renders, step_count  # noqa: E402

SHOTS = ROOT / "artifacts" / "walkthrough"


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with app_server() as (url, _), chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        sidebar = page.get_by_test_id("stSidebar")

        def shot(name: str, wait: float = 0) -> None:
            page.wait_for_timeout(wait * 1000)
            page.screenshot(path=str(SHOTS / f"{name}.png"))
            try:
                step = step_count(page)
            except Exception:
                step = "-"
            print(f"{time.time() - started:6.0f} s  {name}.png  step {step}  renders {renders_or_dash(page)}",
                  flush=True)

        def slide(label: str, key: str, presses: int) -> None:
            slider = sidebar.get_by_role("slider", name=label) if label else sidebar.get_by_role("slider").first
            slider.focus()
            for _ in range(presses):
                slider.press(key)

        def choose(label: str, option: str) -> None:
            sidebar.get_by_test_id("stSelectbox").filter(has_text=label).click()
            page.get_by_role("option", name=option, exact=True).click()

        page.goto(url, wait_until="domcontentloaded")
        live_frame(page, timeout=120_000)
        shot("01-train-opened")
        page.get_by_role("button", name="Play").click()
        shot("02-a-softmax-playing-8s", 8)
        slide("", "Home", 1)  # m = 1: A-Softmax without its margin
        shot("03-m-1", 8)
        slide("", "End", 1)  # m = 6
        shot("04-m-6", 10)
        page.get_by_role("button", name="Pause").click()
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Step", exact=True).click()
        shot("05-paused-then-step", 2)
        choose("Loss", "ArcFace")
        live_frame(page)
        page.get_by_role("button", name="Play").click()
        shot("06-arcface-playing-12s", 12)
        page.get_by_role("button", name="Pause").click()
        sidebar.get_by_text("3", exact=True).click()
        frame = live_frame(page)
        frame.locator("#scene").first.wait_for(state="attached", timeout=60_000)
        page.get_by_role("button", name="Play").click()
        page.wait_for_timeout(8000)
        box = page.locator(LIVE_VIEW).first.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.35, steps=12)
        page.mouse.up()
        shot("07-arcface-3d-turned", 8)
        sidebar.get_by_text("Project features onto the unit sphere").click()
        shot("08-3d-projected", 6)
        page.get_by_role("button", name="Pause").click()
        page.get_by_text("Replay, downloads and runs").click()
        page.wait_for_timeout(3000)
        page.get_by_text("Replay, downloads and runs").scroll_into_view_if_needed()
        shot("09-replay-expanded", 2)
        page.get_by_role("link", name="Compare").click()
        page.get_by_text("Losses side by side").wait_for(timeout=60_000)
        page.wait_for_timeout(5000)
        shot("10-compare-opened")
        page.get_by_role("button", name="Play").click()
        shot("11-compare-playing-25s", 25)
        page.get_by_role("button", name="Pause").click()
        page.get_by_test_id("stDataFrame").scroll_into_view_if_needed()
        shot("12-compare-table", 3)
        page.get_by_role("link", name="Geometry").click()
        page.get_by_text("SphereFace's Table 1").wait_for(timeout=60_000)
        shot("13-geometry", 3)
        page.get_by_text("Two class vectors and the margin between them").scroll_into_view_if_needed()
        shot("14-geometry-two-vectors", 2)
        page.get_by_role("link", name="Train").click()
        live_frame(page)
        shot("15-back-to-train-still-arcface-3d", 4)
        page.close()


def renders_or_dash(page) -> str:
    try:
        return str(renders(page))
    except Exception:
        return "-"


if __name__ == "__main__":
    main()
