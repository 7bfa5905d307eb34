"""Browser benchmark of a live margin (issue #14): a run trained to the end of its schedule at a small m,
then m slid on the Train page; the page's own Intra (test images) every few seconds for 20 s.

    python bench/live_margin.py            # CosFace 3-D m 0 → 0.35, A-Softmax 3-D m 1 → 4

It starts the app (`streamlit run app.py`) and drives it in headless Chromium, as tests/test_browser.py
does; screenshots of the moment before and 20 s after go to artifacts/screenshots/bench-live-*.png.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.appdriver import (app_server, chromium, choose, live_frame, number, shown_intra,  # noqa: E402
                                sidebar_slider, slide_to, step_count)
from bench.train import machine  # noqa: E402

CASES = (  # loss title, small m, large m, steps in the schedule
    ("CosFace / AM-Softmax", 0.0, 0.35, 550, "cosface m 0 → 0.35"),
    ("A-Softmax (SphereFace)", 1.0, 4.0, 330, "a_softmax m 1 → 4"),
)


def one(browser, url: str, title: str, small: float, large: float, steps: int, name: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    page.goto(url, wait_until="domcontentloaded")
    live_frame(page)
    choose(page, "Loss", title)
    page.wait_for_timeout(3000)
    page.get_by_test_id("stSidebar").get_by_text("3", exact=True).click()
    page.wait_for_timeout(3000)
    margin = sidebar_slider(page, "Margin m")
    slide_to(page, margin, small)
    page.wait_for_timeout(3000)
    live_frame(page)
    page.get_by_role("button", name="Play").click()
    while step_count(page) < steps + 10:
        page.wait_for_timeout(1000)
    before, at = shown_intra(page), step_count(page)
    shots = ROOT / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"bench-live-{name.split()[0]}-before.png"))
    began = time.time()
    assert slide_to(page, margin, large) == large
    trace, after = [f"{time.time() - began:.0f}s slid"], before
    while time.time() - began < 20:  # each reading is stamped once read: a busy browser answers late
        page.wait_for_timeout(1000)
        after = shown_intra(page)
        trace.append(f"{time.time() - began:.0f}s {after:.1f}°")
    page.screenshot(path=str(shots / f"bench-live-{name.split()[0]}-after.png"))
    print(f"{name} (3-D digits), slid at step {at:,}: Intra {before:.2f}° → {after:.2f}° at the last reading "
          f"(×{after / before:.2f}, {step_count(page) - at} steps since), test accuracy {number(page, 'Test accuracy')}; "
          + ", ".join(trace), flush=True)
    page.close()


def main() -> None:
    print(machine(), flush=True)
    with app_server() as (url, _), chromium() as browser:
        for case in CASES:
            one(browser, url, *case)


if __name__ == "__main__":
    main()
