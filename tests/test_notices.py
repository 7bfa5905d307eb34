"""pages/ui/notices.py: every reason a live view stands still says so, above the charts, in one element."""
import pytest
from streamlit.testing.v1 import AppTest


def script(**player) -> AppTest:
    """A page showing the notice of a player in this state (a stand-in with the attributes notice() reads)."""
    def page(state):
        from types import SimpleNamespace

        from pages.ui.notices import notice

        state = {"failed": None, "stopped": None, "store_error": None, "waiting": False, "sharing": None, **state}
        sharing = state.pop("sharing")
        notice(SimpleNamespace(trainers=[object()], sharing=lambda trainer: sharing, **state), "me")

    at = AppTest.from_function(page, args=(player,), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("state, kind, says", [
    ({"failed": "training stopped: OSError: disk gone"}, "error", "training stopped: OSError: disk gone"),
    ({"stopped": "the loss became NaN at step 120"}, "error", "NaN at step 120"),
    ({"store_error": "the run store failed (OSError: No space left); training goes on without sharing"}, "warning",
     "The run store failed"),
    ({"sharing": "following"}, "info", "Another session is training this very run"),
    ({"sharing": "replaying"}, "info", "Replaying this run"),
    ({"waiting": True}, "info", "Waiting for a free training slot"),
])
def test_each_reason_a_view_is_still_has_its_notice(state, kind, says):
    at = script(**state)
    shown = [e.value for e in getattr(at, kind)]
    assert len(shown) == 1 and says in shown[0]
    others = {"error", "warning", "info"} - {kind}
    assert not any(getattr(at, other) for other in others)


def test_a_view_that_moves_shows_no_notice():
    at = script()
    assert not at.error and not at.warning and not at.info
