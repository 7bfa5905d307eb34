"""The route the live views fetch their frames from (sphereface_viz.stage.Feed): served by the app's own server
(app.py), beside Streamlit's routes, so a frame costs no Streamlit rerun.

GET <app>/_live/frame?feed=<token> answers
- 200 with the next message of the feed's stage (frames.wire) as soon as there is one newer than the last this
  feed was given: the same bytes for every page showing that stage;
- 204 when none came within WAIT seconds (the browser asks again: a frame waits for training, never the other
  way round);
- 409 when the page drives a player that is not playing (the browser stops asking until its page plays again);
- 404 for a token no page holds.

A request waits on the event loop itself (an asyncio future the stage's driver completes): a hundred students
waiting for the next frame hold no thread."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sphereface_viz.stage import FEEDS

PATH = "/_live/frame"
WAIT = 1.0    # seconds a request waits for news
NO_STORE = {"Cache-Control": "no-store"}


async def frame(request: Request) -> Response:
    feed = FEEDS.get(request.query_params.get("feed", "")[:64])
    if feed is None:
        return Response(status_code=404, headers=NO_STORE)
    message = await feed.next(WAIT)
    if message is False:
        return Response(status_code=409, headers=NO_STORE)
    if message is None:
        return Response(status_code=204, headers=NO_STORE)
    return Response(message, media_type="application/octet-stream", headers=NO_STORE)


# At the root, and under any prefix: a server started with --server.baseUrlPath serves its pages (and the view,
# which asks relative to its own address) under it.
ROUTES = [Route(PATH, frame), Route("/{prefix:path}" + PATH, frame)]
