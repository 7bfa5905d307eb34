"""Browser benchmark of a live margin (issue #14): a run trained to the end of its schedule at a small m,
then m slid on the Train page (paused while sliding) and play pressed again; the page's own Intra (test
images) every second for 20 s.

    python bench/live_margin.py                   # CosFace 3-D m 0 → 0.35, A-Softmax 3-D m 1 → 4
    python bench/live_margin.py --only a_softmax  # one of them

It starts the app (`streamlit run app.py`) and drives it in headless Chromium, as tests/test_browser.py
does; screenshots of the moment before and 20 s after go to artifacts/screenshots/bench-live-*.png.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from devtools.appdriver import (app_server, chromium, choose, live_frame, number, settled,  # noqa: E402
                                shown_intra, sidebar_slider, slide_to, step_count)
from bench.train import machine  # noqa: E402

CASES = (  # loss title, small m, large m, the slider's step, steps in the schedule
    ("CosFace / AM-Softmax", 0.0, 0.35, 0.01, 550, "cosface m 0 → 0.35"),
    ("A-Softmax (SphereFace)", 1.0, 4.0, 0.1, 330, "a_softmax m 1 → 4"),
)


def one(browser, url: str, title: str, small: float, large: float, step: float, steps: int, name: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    page.goto(url, wait_until="domcontentloaded")
    live_frame(page)
    choose(page, "Loss", title)
    margin = sidebar_slider(page, "Margin m")
    # in 2-D, where a redraw is cheap (a 3-D one, in software WebGL, makes each press slow); 3-D keeps m
    assert abs(slide_to(page, margin, small) - small) < 1e-9
    page.get_by_test_id("stSidebar").get_by_text("3", exact=True).click()
    live_frame(page)
    page.get_by_role("button", name="Play").click()
    while step_count(page) < steps + 10:
        page.wait_for_timeout(1000)
    before, at = shown_intra(page), step_count(page)
    shots = ROOT / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"bench-live-{name.split()[0]}-before.png"))
    # Paused while sliding: without a GPU every key press redraws the sphere in software WebGL, so the
    # slide itself can take a minute, and training through it at the in-between values would flatter m.
    page.get_by_role("button", name="Pause").click()
    settled(page)
    margin.focus()
    for _ in range(round((large - small) / step)):
        margin.press("ArrowRight")  # presses lost mid-rerun are made up by slide_to
    assert abs(slide_to(page, margin, large, seconds=180) - large) < 1e-9
    played = step_count(page)
    page.get_by_role("button", name="Play").click()
    began = time.time()
    trace, after = [f"0s played at step {played:,}"], before
    while time.time() - began < 20:  # each reading is stamped once read: a busy browser answers late
        page.wait_for_timeout(1000)
        after = shown_intra(page)
        trace.append(f"{time.time() - began:.0f}s {after:.1f}° (step {step_count(page):,})")
    page.screenshot(path=str(shots / f"bench-live-{name.split()[0]}-after.png"))
    print(f"{name} (3-D digits), slid at step {at:,}: Intra {before:.2f}° → {after:.2f}° at the last reading "
          f"(×{after / before:.2f}, {step_count(page) - played} steps since), test accuracy {number(page, 'Test accuracy')}; "
          + ", ".join(trace), flush=True)
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=[case[-1].split()[0] for case in CASES],
                        help="some of the cases (default: all)")
    only = parser.parse_args().only
    print(machine(), flush=True)
    with app_server() as (url, _), chromium() as browser:
        for case in CASES:
            if not only or case[-1].split()[0] in only:
                one(browser, url, *case)


if __name__ == "__main__":
    main()
