"""Driving the real app: start `streamlit run app.py`, launch Debian's Chromium through Playwright (never a
downloaded browser), read the live numbers off a page, and cut connections with a small TCP proxy.
Shared by the browser tests, the benchmarks in bench/ and docs/figures.py."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
LIVE_VIEW = 'iframe[title*="feature_view"]'  # the live feature view (pages/ui/feature_view.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 90) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def server_log(port: int | str) -> Path:
    """Where app_server writes the output of the server on this port (or URL)."""
    return ROOT / "artifacts" / "logs" / f"streamlit-{str(port).rsplit(':', 1)[-1]}.log"


@contextmanager
def app_server(port: int | None = None, *options: str, env: dict | None = None):
    """`streamlit run app.py` on loopback; yields (url, process). The server's output goes to
    artifacts/logs/streamlit-<port>.log: a pipe nobody reads would fill and stall the server."""
    port = port or free_port()
    # each server its own run store: a test's sessions share runs, tests do not (sphereface_viz.store)
    env = {"SPHEREFACE_VIZ_RUNS": tempfile.mkdtemp(prefix="sphereface-viz-runs-"), **(env or {})}
    log = server_log(port)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--server.headless", "true", *options],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        if not wait_for_port(port):
            proc.kill()
            raise RuntimeError(f"streamlit did not start: {log.read_text()}")
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def chromium():
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is required at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """Resident memory of a process, from /proc (key VmHWM: its peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} for process {pid}")


def live_frame(page, timeout: float = 60_000):
    """The first live feature view of the page, once it has drawn a frame."""
    frame = page.frame_locator(LIVE_VIEW).first
    frame.locator("#scene").wait_for(state="attached", timeout=timeout)
    frame.locator("body").evaluate("() => new Promise((done) => { const look = () => window.view && window.view.renders > 0 ? "
                                   "done() : setTimeout(look, 50); look(); })", timeout=timeout)
    return frame


def seen(page, what: str = "renders"):
    """What the live feature view's page reports of itself (window.view: renders, id, step, drawnPoints,
    rotation, header)."""
    return page.frame_locator(LIVE_VIEW).first.locator("body").evaluate(f"() => window.view.{what}")


def renders(page) -> int:
    """How many frames the live feature view has drawn."""
    return int(seen(page, "renders"))


def settled(page, timeout: float = 60_000) -> None:
    """Wait until no script run is in progress: until it ends, the page may still show elements of the
    run before, such as download buttons whose deferred files that run has already released."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)


def number(page, label: str, timeout: float | None = None) -> str:
    """One of the numbers beside the Train page's live chart, as shown (timeout in ms; None: Playwright's)."""
    return page.frame_locator(LIVE_VIEW).first.locator(f'[data-label="{label}"] .value').inner_text(timeout=timeout)


def step_count(page, timeout: float | None = None) -> int:
    """The Train page's step, as the numbers beside its live chart show it."""
    return int(number(page, "Step", timeout).replace(",", ""))


def reach(page, step: int, seconds: float = 60) -> int:
    """Wait up to `seconds` for the Train page to show `step` or later; the step it shows then. The view's own
    page waits for its frame's step (Streamlit may mount the view afresh meanwhile: then the wait starts
    again in the new one)."""
    from playwright.sync_api import Error

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:  # the page's promise gives up on its own: Playwright's timeout bounds finding the element, not this
            if page.frame_locator(LIVE_VIEW).first.locator("body").evaluate(
                    "(body, [n, ms]) => new Promise((done) => { const end = Date.now() + ms; const look = () => "
                    "window.view && window.view.step >= n ? done(true) : Date.now() > end ? done(false) : "
                    "setTimeout(look, 30); look(); })", [step, max(0.1, deadline - time.time()) * 1000],
                    timeout=max(1.0, deadline - time.time()) * 1000):
                break
        except Error:  # the view was mounted afresh meanwhile, or not found in time
            continue
    return step_count(page)


def shown_intra(page) -> float:
    """The Train page's Intra of the test images, in degrees."""
    return float(number(page, "Intra ° (test / train)").split(" / ")[0])


def choose(page, label: str, option: str) -> None:
    """Pick an option of a sidebar select box."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option).click()


def sidebar_slider(page, label: str):
    return page.get_by_test_id("stSidebar").get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")


def slide_to(page, slider, value: float, seconds: float = 60) -> float:
    """Move a slider with the arrow keys until it reads `value`: a key pressed while the page reruns can
    be lost, so each press is checked against the slider's own value."""
    def read() -> float:
        return float(slider.get_attribute("aria-valuetext") or slider.get_attribute("aria-valuenow"))

    deadline, now = time.time() + seconds, read()
    while abs(now - value) > 1e-9 and time.time() < deadline:
        slider.focus()
        slider.press("ArrowRight" if now < value else "ArrowLeft")
        page.wait_for_timeout(200)
        now = read()
    return now


class TcpProxy:
    """A loopback TCP relay in front of a server whose connections can all be cut at once: a browser
    that loses its network mid-training, as far as the server and the page can tell."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> int:
        """Drop every open connection; returns how many there were."""
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        return len(sockets) // 2

    def close(self) -> None:
        self.listener.close()
        self.cut()


@contextmanager
def nginx_front():
    """deploy/nginx.conf running on its own (in a temporary prefix, as any user): it listens on 127.0.0.1:8500 in
    front of app processes on 8501 and 8502. Yields the access log's path."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("the proxy needs nginx (apt-get install nginx-light)")
    with tempfile.TemporaryDirectory() as prefix:
        main = Path(prefix) / "nginx.conf"
        main.write_text(f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\n"
                        f"http {{\n  access_log {prefix}/access.log;\n  client_body_temp_path {prefix};\n"
                        f"  proxy_temp_path {prefix};\n  include {ROOT / 'deploy' / 'nginx.conf'};\n}}\n")
        subprocess.run([nginx, "-p", prefix, "-c", str(main)], check=True)
        try:
            yield Path(prefix, "access.log")
        finally:
            subprocess.run([nginx, "-p", prefix, "-c", str(main), "-s", "stop"], check=False)
