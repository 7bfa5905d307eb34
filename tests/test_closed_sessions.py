"""pages/ui/closed_sessions.py against Streamlit's own media file manager: the downloads of a session that
expired are released, those of an active session or one still inside its reconnect grace are kept."""
import types

import pytest
from streamlit.runtime import media_file_manager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from pages.ui import closed_sessions


@pytest.fixture
def server(monkeypatch):
    """A media file manager holding one 1 MB download per session, and a runtime stand-in saying
    which sessions are active; the clock is ours."""
    mgr = MediaFileManager(MemoryMediaFileStorage("/media"))
    active, clock = set(), [1000.0]
    rt = types.SimpleNamespace(media_file_mgr=mgr, is_active_session=lambda sid: sid in active)
    monkeypatch.setattr(closed_sessions.runtime, "exists", lambda: True)
    monkeypatch.setattr(closed_sessions.runtime, "get_instance", lambda: rt)
    monkeypatch.setattr(closed_sessions.config, "get_option", lambda name: 120)
    monkeypatch.setattr(closed_sessions.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(closed_sessions, "_last_active", {})

    def open_session(sid: str) -> None:
        monkeypatch.setattr(media_file_manager, "_get_session_id", lambda: sid)
        mgr.add(sid.encode() * (1 << 20), "application/octet-stream", "1.(0).1", is_for_static_download=True)
        mgr.add_deferred(lambda: b"lazy", "text/csv", "1.(0).2")
        closed_sessions._last_active[sid] = clock[0]
        active.add(sid)

    return types.SimpleNamespace(mgr=mgr, active=active, clock=clock, open=open_session)


def held(mgr) -> int:
    return len(mgr._file_metadata) + len(mgr._deferred_callables)


def test_only_expired_sessions_lose_their_downloads(server):
    for sid in ("stays", "reconnects", "leaves"):
        server.open(sid)
    assert held(server.mgr) == 6
    server.active -= {"reconnects", "leaves"}  # two tabs close
    server.clock[0] += 60
    closed_sessions.release()
    closed_sessions.release()  # a download goes on the second call: within the grace, nothing does
    assert held(server.mgr) == 6
    server.active.add("reconnects")  # back within the TTL
    server.clock[0] += 100  # "leaves" has been gone 160 s > 120 s
    closed_sessions.release()
    closed_sessions.release()
    assert held(server.mgr) == 4
    assert set(server.mgr._files_by_session_and_coord) == {"stays", "reconnects"}
    assert set(closed_sessions._last_active) == {"stays", "reconnects"}
