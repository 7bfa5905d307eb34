"""The live feature view: one frame of plain arrays (sphereface_viz.frames) drawn on a canvas by the
browser (feature_view.js), with its title, legend and the live numbers as real text.

While playing, the page fetches each next frame from its `stage.Feed` once it has drawn the last (pages/ui/
feed_route.py): frames go out as fast as the browser draws them, never queued, and no Streamlit rerun
carries them. While paused, the page's runs send the frame in the component's arguments."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.ui.component import LocalComponent
from pages.ui.notices import FOLLOWING
from sphereface_viz import live
from sphereface_viz.stage import Feed, Stage

INDEX = """<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;padding:0;background:#fff;overflow:hidden;color:#333;
font-family:"Source Sans Pro","Source Sans 3",Inter,Helvetica,Arial,sans-serif}
body{display:flex}#left{flex:3;min-width:0;display:flex;flex-direction:column}
#title{font-size:22px;padding:2px 8px 4px}#legend{display:flex;flex-wrap:wrap;gap:2px 12px;padding:0 8px;font-size:15px}
#legend .item{cursor:pointer;user-select:none;white-space:nowrap}#legend .off{opacity:.35}
#legend i{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:4px;vertical-align:-1px}
#stage{position:relative;flex:1;min-height:0}#scene{position:absolute;left:0;top:0}
#tip{position:absolute;display:none;pointer-events:none;background:#fff;border:1px solid #888;padding:4px 8px;
font-size:16px;white-space:nowrap;z-index:10}
#numbers{flex:1;display:none;padding-left:16px;color:#31333F}
#numbers .label{font-size:14px;margin-top:12px}#numbers .value{font-size:30px;line-height:1.25}
#numbers .help{display:inline-block;width:14px;height:14px;margin-left:6px;border:1px solid #999;border-radius:50%;
font-size:10px;line-height:14px;text-align:center;color:#666;cursor:help}
#notice{display:none;margin:2px 8px 6px;padding:6px 10px;border-radius:6px;background:#e8f0fe;color:#174ea6;
font-size:15px}
.projector #title{font-size:29px}.projector #legend{font-size:20px}
.projector #left{flex:2}.projector #numbers{grid-template-columns:1fr 1fr;column-gap:16px;align-content:start}
.projector #numbers .label{font-size:19px;margin-top:6px}.projector #numbers .value{font-size:34px;line-height:1.1}
.projector #numbers .wide{grid-column:span 2}</style></head>
<body><div id="left"><div id="notice"></div><div id="title"></div><div id="legend"></div><div id="stage"><canvas id="scene"></canvas>
<div id="tip"></div></div></div><div id="numbers"></div><script src="feature_view.js"></script></body></html>"""
COMPONENT = LocalComponent("feature_view", INDEX, Path(__file__).with_suffix(".js"))
write_files = COMPONENT.files  # the tests load the page on its own


KEYS = ("r", "[", "]")  # what the view's page hears (feature_view.js)


def value_of(key: str) -> dict:
    """The view's value as its page sent it, bounded (a browser may send anything): the sprite sheet it holds
    (a str or None), its last twenty key presses, each (number, one of KEYS), and what it heard that its page must
    change for (`heard`, a str or None). Anything else is dropped."""
    raw = st.session_state.get(key)
    raw = raw if isinstance(raw, dict) else {}
    presses = raw.get("keys") if isinstance(raw.get("keys"), list) else []
    keys = [(int(p[0]), p[1]) for p in presses[-20:] if isinstance(p, list) and len(p) == 2
            and isinstance(p[0], (int, float)) and not isinstance(p[0], bool) and p[1] in KEYS]
    sprites, heard = raw.get("sprites"), raw.get("heard")
    return {"sprites": sprites if isinstance(sprites, str) and len(sprites) <= 64 else None, "keys": keys,
            "heard": heard if isinstance(heard, str) and len(heard) <= 64 else None}


def fed(key: str, player, trainer, view: live.View, extras=lambda view: {}, pace: float = 0.0,
        stage: Stage | None = None, idle: bool = False) -> Feed | None:
    """While `player` plays (or always, if `idle`): the feed of the view drawn under `key` (one per key and
    session), its stage showing this view (`Stage.show`): the session's own, or `stage` (a presentation's).
    Otherwise None. While paused, the page's own runs draw the view; an idle feed asks on meanwhile, so that the
    first frame after Play needs no page run (`Feed.idle`)."""
    if not (player.wanted or idle):
        return None
    feeds = st.session_state.setdefault("feeds", {})
    if key not in feeds or feeds[key][0] is not stage:  # a presentation begun or ended: another stage
        feeds[key] = (stage, Feed(stage or Stage(live=FOLLOWING), idle=idle))
    feed = feeds[key][1]
    feed.stage.show(player, trainer, view, extras, pace)
    return feed


def watched(key: str, stage: Stage) -> Feed:
    """A student's feed of a teacher's stage (sphereface_viz.present): it asks for frames as long as the page is
    open, playing or paused."""
    feeds = st.session_state.setdefault("feeds", {})
    if key not in feeds or feeds[key][0] is not stage or feeds[key][1].own:
        feeds[key] = (stage, Feed(stage, own=False))
    return feeds[key][1]


def heard(feed: Feed | None) -> str | None:
    """What the page is laid out for, as its view's page compares each frame with (feature_view.js, `hear`): while
    it drives its player, "own:leads" or "own:quiet" (whether the player trains a run itself while playing, and the
    page runs again by itself: `Player.leads`); a student's, "other:<settings>" of the teacher's stage; None without
    a feed."""
    if feed is None:
        return None
    if not feed.own:
        return f"other:{feed.source().version}"
    return "own:leads" if feed.stage.player.leads else "own:quiet"


def feature_view(frame: tuple[dict, bytes], frame_id: int, key: str, height: int = 640,
                 numbers: list[dict] | None = None, projector: bool = False,
                 legend: bool = True, title: str | None = None, projection: str = "globe",
                 sprites: dict | None = None, on_key=None, fill: bool = False, feed: Feed | None = None,
                 notices: bool = False, **message):
    """Draw a frame (`frames.build`'s header and blob). numbers: {label, value, help} shown beside it.
    title: instead of the frame's own (lines split by <br>). projection: a sphere as a "globe" to turn, or
    as Hammer's equal-area "map" of all of it. sprites: `frames.sprite_sheet` of the test images, sent until
    the page says it holds it. on_key: called when r, [ or ] is pressed in the page; the key is in the
    view's value (its "keys"). fill: no taller than the window below the view's top (`height` at most).
    feed: the `stage.Feed` to fetch frames from (`fed`, while playing), each with its own pace and extras;
    `frame` is then only drawn if it is newer than the last fetched. A frame of a stage that is not the page's own
    (another session's, a teacher's) shows that stage's notice above it; with `notices`, so does a frame of the
    page's own stage while its player follows another session's training (the page need not say it). message: the
    rest of a stage's message drawn from the page's arguments (its stage, notice, settings and extras).
    Returns the component's value as the page sent it (read it bounded with `value_of`)."""
    header, blob = frame
    held = value_of(key)["sprites"]
    sheet = {} if sprites is None else {"sprite_key": sprites["key"], "sprite_cell": sprites["cell"],
                                        "sprite_cols": sprites["cols"],
                                        **({} if held == sprites["key"] else {"sprite_png": sprites["png"]})}
    return COMPONENT(header=header, blob=blob, id=frame_id, height=height, name=key, key=key, numbers=numbers,
                     projector=projector, legend=legend, title=title, projection=projection,
                     keys=on_key is not None, on_change=on_key, fill=fill, feed=feed and feed.token,
                     own=feed.stage.id if feed is not None and feed.own else None, heard=heard(feed), notices=notices,
                     default=None,
                     **sheet, **message)
