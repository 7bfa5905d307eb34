"""Present mode (sphereface_viz.present, pages/ui/presenting.py): the teacher's presenter link drives one run, a
student link follows it and can never drive, every change reaches a student, Explore takes the run into a student's
own and Follow comes back, and a presentation whose process died goes on from the run store."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sphereface_viz import frames, present
from sphereface_viz import store as store_module
from sphereface_viz.player import Player
from sphereface_viz.store import STORE, RunStore

ROOT = Path(__file__).resolve().parents[1]


def page(link: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=120)
    at.query_params.update(link or {})
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def presenting() -> tuple[AppTest, present.Presentation]:
    """A teacher's page that has pressed "Present to the class"."""
    teacher = page()
    button(teacher, "Present to the class").click().run()
    assert not teacher.exception, teacher.exception
    presentation = teacher.session_state["presentation"]
    assert teacher.query_params["present"] == [presentation.secret] or teacher.query_params["present"] == \
        presentation.secret
    return teacher, presentation


def view_args(at: AppTest) -> dict:
    return next(json.loads(e.proto.json_args) for e in at.get("component_instance")
                if json.loads(e.proto.json_args).get("name") == "live_view")


def test_secrets_and_rooms_are_unguessable_and_a_room_opens_nothing_as_a_secret():
    teacher, presentation = presenting()
    assert len(presentation.secret) >= 21 and presentation.room != presentation.secret  # 128 random bits
    assert present.presenting(presentation.secret) is presentation
    assert present.following(presentation.room) is presentation
    assert present.presenting(presentation.room) is None  # a student's link is no presenter's
    assert present.presenting(presentation.secret[:-1] + ("A" if presentation.secret[-1] != "A" else "B")) is None
    for bad in ("", "../../etc/passwd", "x" * 10_000, None, 3):
        assert present.presenting(bad) is None and present.following(bad) is None


def test_a_forged_presenter_link_is_refused_with_a_message_and_the_page_still_works():
    at = page({"present": "A" * 22})
    assert "This presenter link opens no presentation" in " ".join(e.value for e in at.error)
    assert at.session_state["trainer"] is not None and "presentation" not in at.session_state or \
        at.session_state["presentation"] is None
    button(at, "Step").click().run()
    assert not at.exception and at.session_state["trainer"].step_count == 1


def test_a_student_sees_the_teachers_values_and_cannot_drive():
    teacher, presentation = presenting()
    teacher.sidebar.slider(key="m").set_value(2.5).run()
    teacher.sidebar.selectbox(key="loss").set_value("arcface").run()
    teacher.sidebar.slider(key="m").set_value(0.4).run()
    student = page({"follow": presentation.room})
    assert student.sidebar.selectbox(key="loss").value == "arcface" and student.sidebar.selectbox(key="loss").disabled
    assert not student.sidebar.slider  # live values travel in the frames: no slider to go stale
    labels = {b.label for b in student.button}
    assert "Play" not in labels and "Step" not in labels and "Reset" not in labels and "Explore on my own" in labels
    assert "trainer" not in student.session_state or student.session_state["trainer"] is None
    args = view_args(student)
    assert args["stage"] == presentation.stage.id and "m = 0.4" in args["header"]["title"]
    assert args["notice"].startswith("The teacher paused")
    # a student that puts a presenter's key in its own link with the room id drives nothing
    forged = page({"present": presentation.room})
    assert forged.session_state["presentation"] is None if "presentation" in forged.session_state else True
    assert presentation.player.wanted is False


def test_live_and_reset_level_changes_reach_a_student():
    teacher, presentation = presenting()
    student = page({"follow": presentation.room})
    version = presentation.stage.version
    teacher.sidebar.slider(key="m").set_value(3.0).run()
    # a live change comes in the next frame, with no new layout for the students' pages
    assert presentation.stage.version == version and presentation.settings["m"] == "3"
    presentation.stage.refresh()
    message = frames.unwire(presentation.stage.message)[0]
    assert "m = 3 " in message["header"]["title"] + " " and message["settings"] == version
    teacher.sidebar.radio(key="dim").set_value(3).run()
    assert presentation.stage.version == version + 1
    assert not teacher.exception and presentation.trainer.config.dim == 3  # the presentation goes on with the reset
    student.run()
    assert student.sidebar.radio(key="dim").value == 3
    assert view_args(student)["header"]["kind"] == "sphere"


def test_explore_takes_the_run_into_the_students_own_and_follow_comes_back():
    teacher, presentation = presenting()
    for _ in range(3):
        button(teacher, "Step").click().run()
    teacher.sidebar.slider(key="m").set_value(2.0).run()
    student = page({"follow": presentation.room})
    button(student, "Explore on my own").click().run()
    assert not student.exception
    own = student.session_state["trainer"]
    assert own is not presentation.trainer and own.step_count == 3 and own.loss.m == 2.0
    assert not own.pristine
    button(student, "Step").click().run()
    assert own.step_count == 4 and presentation.trainer.step_count == 3  # the teacher's run is untouched
    student.sidebar.slider(key="m").set_value(4.0).run()
    assert own.loss.m == 4.0 and presentation.trainer.loss.m == 2.0
    button(student, "Follow the teacher").click().run()
    assert not student.exception and student.session_state["trainer"] is None
    assert student.session_state["m"] == 2.0 and view_args(student)["stage"] == presentation.stage.id


def test_the_presenter_link_reopened_drives_the_same_run():
    teacher, presentation = presenting()
    button(teacher, "Step").click().run()
    again = page({"present": presentation.secret})
    assert again.session_state["presentation"] is presentation
    assert again.session_state["trainer"] is presentation.trainer
    button(again, "Step").click().run()
    assert presentation.trainer.step_count == 2


def test_a_presentation_whose_process_died_goes_on_from_the_store(monkeypatch):
    """The teacher's process is gone: a new process holds no presentation; while the old one's word that it presents
    lasts (PATIENCE), the presenter link is told it is driven elsewhere, then it revives the run from the store, live
    values, steps and settings included."""
    teacher, presentation = presenting()
    for _ in range(4):
        button(teacher, "Step").click().run()
    teacher.sidebar.slider(key="m").set_value(1.5).run()
    player = presentation.player
    player._write(lane=0, every=0.0)  # what the training thread does every second while playing
    secret, room = presentation.secret, presentation.room
    present._ROOMS.clear()  # a new process
    assert present.presenting(secret) is None and present.following(room) is None
    waiting = page({"present": secret})
    assert any("driven from another page" in e.value for e in waiting.info)
    assert not waiting.session_state["presentation"] if "presentation" in waiting.session_state else True
    monkeypatch.setattr(store_module, "PATIENCE", 0.0)  # the dead process's word lapses
    revived = page({"present": secret})
    again = revived.session_state["presentation"]
    trainer = revived.session_state["trainer"]
    assert again is not presentation and again.room == room
    assert trainer.step_count == 4 and trainer.loss.m == 1.5 and revived.sidebar.slider(key="m").value == 1.5
    assert present.following(room) is again
    button(revived, "Step").click().run()
    assert trainer.step_count == 5
    # a reset of the revived presentation is stored too, though it is at an earlier step than the stored run
    revived.sidebar.radio(key="dim").set_value(3).run()
    again.player._write(lane=0, every=0.0)
    entry = STORE.get(present.store_key(secret))
    assert entry.step == 0 and entry.config["dim"] == 3


def test_a_damaged_stored_presentation_is_refused_never_unpickled(tmp_path):
    store = RunStore(tmp_path, 2**26)
    secret = "B" * 22
    store.root.mkdir(parents=True, exist_ok=True)
    store.path(present.store_key(secret)).write_bytes(b"PK\x03\x04 not a run")
    assert present.revive(secret, store, lambda trainer: 1 / 0) is None  # nothing to start: refused first
    assert not store.path(present.store_key(secret)).exists()  # deleted, as a damaged run file is


def test_a_student_link_with_no_presentation_says_so_and_waits():
    at = page({"follow": "C" * 32})
    assert any("not presenting now" in e.value for e in at.info)
    assert "Explore on my own" not in {b.label for b in at.button}


def test_two_presenter_pages_drive_one_run_without_undoing_each_other():
    """A reset on one presenter page (laptop A) reaches the other (laptop B): B shows the new run and its settings,
    and does not reset it back to what its controls held."""
    a, presentation = presenting()
    b = page({"present": presentation.secret})
    a.sidebar.radio(key="dim").set_value(3).run()
    trainer = presentation.trainer
    assert trainer.config.dim == 3
    b.run()
    assert not b.exception and b.sidebar.radio(key="dim").value == 3
    assert presentation.trainer is trainer and b.session_state["trainer"] is trainer
