"""Letting go of what Streamlit keeps of a closed session's downloads.

A tab that closes leaves its session stored for `server.disconnectedSessionTTL` (so it can reconnect);
after that Streamlit drops it without its own shutdown, and the files and callables of its download
buttons stay in the media file manager for the life of the process. Every page run records its
session here; the janitor (sphereface_viz.housekeeping) releases the downloads of sessions inactive
for longer than the TTL, which can no longer come back.
"""
from __future__ import annotations

import threading
import time

from streamlit import config, runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

_last_active: dict[str, float] = {}  # session id → when it was last seen active
_lock = threading.Lock()


def seen() -> None:
    """Record the session running this script."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        with _lock:
            _last_active[ctx.session_id] = time.monotonic()


def release() -> None:
    """Drop the download files and callables of sessions that expired."""
    if not runtime.exists():
        return
    rt, now = runtime.get_instance(), time.monotonic()
    ttl = float(config.get_option("server.disconnectedSessionTTL"))
    with _lock:
        for session_id in list(_last_active):
            if rt.is_active_session(session_id):
                _last_active[session_id] = now
            elif now - _last_active[session_id] > ttl:
                del _last_active[session_id]
                rt.media_file_mgr.clear_session_refs(session_id)
    rt.media_file_mgr.remove_orphaned_files()  # a download is deleted on its second call: mark, then delete
