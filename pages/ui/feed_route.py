"""The route the live views fetch their frames from (sphereface_viz.stage.Feed), served by the app's own server
(app.py) so that a frame costs no Streamlit rerun.

GET <app>/_live/frame?feed=<token> answers
- 200 with the next message of the feed's stage (frames.wire) as soon as there is one newer than the last this
  feed was given: the same bytes for every page showing that stage;
- 204 when none came within WAIT seconds (the browser asks again: a frame waits for training, never the other
  way round);
- 409 when the page drives a player that is not playing (the browser stops asking until its page plays again);
- 404 for a token no page holds.

A lecture hall asks this route a few hundred times a second, so it is plain ASGI in front of all of Streamlit
(app.py): its error pages, sessions, gzip and path checks are no use to a frame, and they cost the server's one
interpreter more than the answer does. A request waits on the event loop itself (an asyncio future the stage's driver
completes): a hundred students waiting for the next frame hold no thread."""
from __future__ import annotations

from sphereface_viz.stage import FEEDS

PATH = "/_live/frame"
WAIT = 1.0    # seconds a request waits for news
TOKEN_CHARS = 64  # a token is 22 characters; anything longer is cut before it is looked up


async def answer(token: str) -> tuple[int, bytes]:
    """The status and body for a feed's token."""
    feed = FEEDS.get(token[:TOKEN_CHARS])
    if feed is None:
        return 404, b""
    message = await feed.next(WAIT)
    if message is False:
        return 409, b""
    if message is None:
        return 204, b""
    return 200, message


def token(query: bytes) -> str:
    """The feed's token in a query string (feed=<token>); a token is URL-safe base64, so nothing to unquote."""
    for part in query[:256].split(b"&"):
        if part.startswith(b"feed="):
            return part[5:].decode("latin-1")
    return ""


class FramesFirst:
    """An ASGI app in front of another: GET …/_live/frame (at the root, or under a --server.baseUrlPath, as the view
    asks relative to its own address) is answered here; everything else goes on to `app`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith(PATH):
            await self.app(scope, receive, send)
            return
        status, body = await answer(token(scope.get("query_string", b"")))
        headers = [(b"cache-control", b"no-store"), (b"content-length", str(len(body)).encode())]
        if body:
            headers.append((b"content-type", b"application/octet-stream"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
