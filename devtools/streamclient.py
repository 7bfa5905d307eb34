"""A student's browser without the browser: a client of Streamlit's websocket protocol that opens a Train
link, presses Play (or follows a teacher) and reads the step each live frame carries, drawing nothing but fetching
each next frame at its pace, as pages/ui/feature_view.js does once it has drawn one.

The room benchmark (bench/load.py --only room --clients protocol) runs thirty of these in one asyncio loop, so
what it measures is the server: on a 2-core machine, thirty Chromium pages beside the server measure the pages
(their drawing takes both cores), while in a class they run on thirty laptops. What a client does is what
Streamlit's frontend does: send `rerun_script` with the URL's query string, a trigger value for a button, and
rerun a fragment every `auto_rerun` interval until `stop_auto_rerun`, and while the live view's arguments name
a feed, fetch its frames from the app's route (pages/ui/feed_route.py), one at a time, one per frame's pace, over
one kept-alive connection (as a browser does). A frame from a stage not the page's own that names other settings
than the page was laid out for asks for the page's next run, 3-6 s later, as feature_view.js's `hear` does; a sprite sheet received is
said to be held, in the view's value, as the page says it once it has decoded it.
"""
from __future__ import annotations

import asyncio
import json
import random
import time

from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from sphereface_viz import frames

GIVE_UP = 5.0  # seconds: the route answers within about a second; a request older was lost (feature_view.js)


def live_view(element) -> dict | None:
    """The arguments of a live feature view (pages/ui/feature_view.py), or None for any other element."""
    if element.WhichOneof("type") != "component_instance" or not element.component_instance.component_name.endswith(
            "feature_view"):
        return None
    return json.loads(element.component_instance.json_args)


def live_step(args: dict) -> int | None:
    """The step a live view's numbers show (in its arguments, or a fetched frame's message), or None."""
    return next((int(n["value"].replace(",", "")) for n in args.get("numbers") or () if n["label"] == "Step"), None)


class StreamClient:
    """One session: `await client.open(query)`, `await client.press("Play")`, then `client.reached(step)`
    as frames arrive; `client.errors` counts exception elements."""

    def __init__(self, url: str, cookie: str = ""):
        self.url = url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        self.query, self.page, self.cookie = "", "", cookie
        self.buttons: dict[str, tuple[str, str]] = {}  # label → widget id, and the fragment it is drawn in ("": none)
        self.errors = 0
        self.lost = 0  # frame requests given up on after GIVE_UP seconds, and asked again
        self.reached_at: dict[int, float] = {}
        self.frames: list[tuple[float, int, str]] = []  # each fetched frame: when it came, its step and title
        self.notices: list[str] = []  # each fetched frame's notice (the stage's: why its picture moves or not)
        self.relayed: list[bool] = []  # each fetched frame: whether it came from another process (sphereface_viz.relay)
        self.codes: list[str] = []  # the text of the page's code elements (the links a popover offers)
        self.sliders: dict[str, str] = {}  # key → widget id
        self.reruns = 0  # page runs asked for by a frame (`hear`)
        self.runs: list[bool] = []  # each finished run of the script: True for the whole page, False for fragments
        self._whole = False  # the run under way drew an element outside every fragment
        self._timers: dict[str, asyncio.Task] = {}  # fragment id → its rerun task
        self._intervals: dict[str, float] = {}
        self._finished = asyncio.Event()
        self._cached: dict[str, ForwardMsg] = {}
        self._feed: str | None = None  # the feed being fetched from
        self._args: dict = {}  # the live view's latest arguments
        self._heard: str | None = None
        self._sprites: str | None = None  # the sprite sheet said to be held
        self._connections: list[list] = []  # each fetch loop's kept-alive connection to the app's server

    async def open(self, query: str, timeout: float = 300) -> None:
        self.query = query
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout,
                                          additional_headers={"Cookie": self.cookie} if self.cookie else None)
        # a proxy's route cookie (deploy/nginx.conf): the frame requests must reach the same process, as a browser's do
        cookies = [c.split(";", 1)[0] for c in self.ws.response.headers.get_all("Set-Cookie")]
        self.cookie = "; ".join(cookies) or self.cookie
        self._reader = asyncio.create_task(self._read())
        await self._rerun()
        await asyncio.wait_for(self._finished.wait(), timeout)

    async def press(self, label: str) -> None:
        """As the frontend does: a button in a fragment (pages/ui/playbar.py) runs that fragment again."""
        widget, fragment = self.buttons[label]
        await self._rerun(trigger=widget, fragment=fragment, auto=False)

    async def slide(self, key: str, value: float) -> None:
        """Move the slider of this key to `value`, as a drag's release does."""
        await self._rerun(values={self.sliders[key]: value})

    def reached(self, step: int) -> float | None:
        """When (time.monotonic) a frame at `step` or later arrived, or None."""
        return next((t for s, t in sorted(self.reached_at.items()) if s >= step), None)

    async def close(self) -> None:
        self._feed = None
        for connection in self._connections:
            if connection[0] is not None:
                connection[0][1].close()
        for timer in self._timers.values():
            timer.cancel()
        self._reader.cancel()
        await self.ws.close()

    async def _rerun(self, trigger: str | None = None, fragment: str = "", values: dict | None = None,
                     auto: bool = True) -> None:
        message = BackMsg()
        state = message.rerun_script
        state.query_string, state.page_script_hash = self.query, self.page
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, auto
        if trigger:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = trigger, True
        for widget_id, value in (values or {}).items():
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            if isinstance(value, str):
                widget.json_value = value
            else:
                widget.double_array_value.data[:] = [value]
        self._finished.clear()
        await self.ws.send(message.SerializeToString())

    def _stop(self, fragment: str) -> None:
        if fragment in self._timers:
            self._timers.pop(fragment).cancel()
            del self._intervals[fragment]

    async def _fetch(self, feed: str) -> None:
        """The feed's frames, as feature_view.js fetches them: again at once after a 204, after the frame's pace
        after a frame, no more after anything else."""
        connection = [None]  # a loop's own, as a browser's requests in flight each have theirs
        self._connections.append(connection)
        while self._feed == feed:
            asked = time.monotonic()
            try:
                status, body = await asyncio.wait_for(self._get(f"/_live/frame?feed={feed}", connection), GIVE_UP)
            except asyncio.TimeoutError:
                self.lost += 1
                continue  # lost on the way: ask again, as the page does
            except (ConnectionError, asyncio.IncompleteReadError):
                await asyncio.sleep(1.0)  # the server went away: ask again a second later, as the page does
                continue
            if status == 204:
                continue
            if status != 200:
                break
            message, _ = frames.unwire(body)
            step = live_step(message)
            if step is not None:
                self.reached_at.setdefault(step, time.monotonic())
            self.frames.append((time.monotonic(), message["header"]["step"], message["header"]["title"]))
            self.notices.append(message.get("notice") or "")
            self.relayed.append(bool(message.get("relayed")))
            self._hear(message)
            watching = message.get("stage") and message["stage"] != self._args.get("own") and message.get("watch")
            await asyncio.sleep(max(0.0, asked + (message["watch"] if watching else message["pace"]) - time.monotonic()))
        if self._feed == feed:
            self._feed = None
        if connection[0] is not None:
            connection[0][1].close()
        self._connections.remove(connection)

    def _hear(self, message: dict) -> None:
        """feature_view.js's `hear`: a frame of another's stage with other settings asks for the page's next run."""
        heard = self._args.get("heard")
        if heard is None or not message.get("stage"):
            return
        own = self._args.get("own")
        now = f"other:{message.get('settings')}" if own is None else (
            "own:leads" if message["stage"] == own and message.get("leads") else "own:quiet")
        if now not in (heard, self._heard):
            self._heard = now
            settle = 3.0 + 3 * random.random() if now.startswith("other") and heard.startswith("other") else (
                1.0 if now == "own:leads" else 0.0)
            asyncio.get_running_loop().call_later(settle, lambda: asyncio.ensure_future(self._page_run()))

    async def _page_run(self) -> None:
        self.reruns += 1
        try:
            await self._rerun()
        except websockets.ConnectionClosed:  # the client closed meanwhile
            pass

    async def _get(self, path: str, connection: list) -> tuple[int, bytes]:
        """One GET of the app's server over a kept-alive connection (connection[0], opened when None): its status
        and body, read by its length (as a browser reads it). A connection that failed is dropped, and the next
        request opens another."""
        address = urlsplit(self.url)
        for attempt in (1, 2):  # a kept-alive connection the server closed while idle: once more on a new one
            fresh = connection[0] is None
            if fresh:
                connection[0] = await asyncio.open_connection(address.hostname, address.port)
            reader, writer = connection[0]
            try:
                cookie = f"Cookie: {self.cookie}\r\n" if self.cookie else ""
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n{cookie}\r\n".encode())
                await writer.drain()
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower().split("\r\n")
                length = next((int(line.split(":", 1)[1]) for line in head if line.startswith("content-length:")), 0)
                return int(head[0].split()[1]), await reader.readexactly(length)
            except (ConnectionError, asyncio.IncompleteReadError):
                connection[0] = None
                writer.close()
                if fresh or attempt == 2:
                    raise
            except BaseException:
                connection[0] = None
                writer.close()
                raise

    async def _every(self, fragment: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._rerun(fragment=fragment)

    async def _read(self) -> None:
        async for data in self.ws:
            message = ForwardMsg()
            message.ParseFromString(data)
            if message.WhichOneof("type") == "ref_hash":
                message = self._cached[message.ref_hash]
            elif message.metadata.cacheable:
                self._cached[message.hash] = message
            self._handle(message)

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "navigation":
            self.page = message.navigation.page_script_hash
        elif kind == "script_finished":
            self.runs.append(self._whole)
            self._whole = False
            self._finished.set()
        elif kind == "auto_rerun":  # as the frontend does: a new interval replaces the old, the same one stays
            rerun = message.auto_rerun
            if self._intervals.get(rerun.fragment_id) != rerun.interval:
                self._stop(rerun.fragment_id)
                self._intervals[rerun.fragment_id] = rerun.interval
                self._timers[rerun.fragment_id] = asyncio.create_task(self._every(rerun.fragment_id, rerun.interval))
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self._stop(fragment)
        elif kind == "delta" and not message.delta.fragment_id:
            self._whole = True
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "button":
                self.buttons[element.button.label] = (element.button.id, message.delta.fragment_id)
            elif element.WhichOneof("type") == "slider" and element.slider.id:
                self.sliders[element.slider.id.rsplit("-", 1)[-1]] = element.slider.id
            elif element.WhichOneof("type") == "code":
                self.codes.append(element.code.code_text)
            elif element.WhichOneof("type") == "exception":
                self.errors += 1
            args = live_view(element)
            if args is None:
                return
            self._args = args
            if args.get("sprite_key") and args["sprite_key"] != self._sprites:
                # feature_view.js's `tell`: the sheet is held, and the server stops sending it
                self._sprites = args["sprite_key"]
                held = json.dumps({"sprites": args["sprite_key"], "heard": None})
                asyncio.ensure_future(self._rerun(values={element.component_instance.id: held}))
            step = live_step(args)
            if step is not None:
                self.reached_at.setdefault(step, time.monotonic())
            if args.get("feed") and args["feed"] != self._feed:
                self._feed = args["feed"]
                asyncio.create_task(self._fetch(args["feed"]))
            elif not args.get("feed"):
                self._feed = None
