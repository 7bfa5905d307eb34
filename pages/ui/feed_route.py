"""The route the live views fetch their frames from while playing (sphereface_viz.live.Feed): served by the
app's own server (app.py), beside Streamlit's routes, so a frame costs no Streamlit rerun.

GET <app>/_live/frame?feed=<token> answers
- 200 with the next frame's message (frames.wire) as soon as something moved;
- 204 when nothing moved within WAIT seconds (the browser asks again: a frame waits for training, never the
  other way round);
- 409 when the feed's player is not playing (the browser stops asking until its page plays again);
- 404 for a token no page holds."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sphereface_viz import live
from sphereface_viz.slots import SLOTS

PATH = "/_live/frame"
WAIT = 1.0    # seconds a request waits for something to move
POLL = 0.04   # seconds between two looks meanwhile
# Frames are built here, not on the server's event loop (which answers every websocket) nor in its pool of
# threads for static files. A frame takes the player's lock between two training steps, so a thread per slot.
BUILDERS = ThreadPoolExecutor(max_workers=SLOTS.capacity + 1, thread_name_prefix="frames")
NO_STORE = {"Cache-Control": "no-store"}


async def frame(request: Request) -> Response:
    feed = live.FEEDS.get(request.query_params.get("feed", "")[:64])
    if feed is None:
        return Response(status_code=404, headers=NO_STORE)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        message = await loop.run_in_executor(BUILDERS, feed.next)
        if message is False:
            return Response(status_code=409, headers=NO_STORE)
        if message:
            return Response(message, media_type="application/octet-stream", headers=NO_STORE)
        if loop.time() >= deadline:
            return Response(status_code=204, headers=NO_STORE)
        await asyncio.sleep(POLL)


# At the root, and under any prefix: a server started with --server.baseUrlPath serves its pages (and the view,
# which asks relative to its own address) under it.
ROUTES = [Route(PATH, frame), Route("/{prefix:path}" + PATH, frame)]
