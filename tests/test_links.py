"""Settings read from a link: what each control offers is read, anything else is reported, never raised."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from sphereface_viz.links import FOLLOW, HIDE, MAX_TEXT, PRESENT, Choice, Many, Number, hidden, parse, read, token, write

DECLARED = {"loss": Choice(("softmax", "a_softmax", "cosface")), "dim": Choice((2, 3)),
            "project": Choice((False, True)), "lr": Choice((0.001, 0.01, 0.05)),
            "m": Number(1.0, 6.0, 0.1), "seed": Number(0, 10**6, integer=True),
            "losses": Many(("softmax", "a_softmax", "cosface"), 2, 3)}


def test_each_control_reads_what_it_offers():
    assert parse("cosface", DECLARED["loss"]) == "cosface"
    assert parse(" CosFace ", DECLARED["loss"]) == "cosface"
    assert parse("3", DECLARED["dim"]) == 3 and parse("3.0", DECLARED["dim"]) == 3
    assert parse("true", DECLARED["project"]) is True and parse("False", DECLARED["project"]) is False
    assert parse("0.01", DECLARED["lr"]) == 0.01 and parse("1e-2", DECLARED["lr"]) == 0.01
    assert parse("2.5", DECLARED["m"]) == 2.5
    assert parse("2.54", DECLARED["m"]) == 2.5  # onto the slider's 0.1 grid
    assert parse("6", DECLARED["m"]) == 6.0 and parse("1", DECLARED["m"]) == 1.0
    assert parse("42", DECLARED["seed"]) == 42 and isinstance(parse("42", DECLARED["seed"]), int)
    assert parse("cosface,softmax", DECLARED["losses"]) == ["cosface", "softmax"]


def test_values_a_control_does_not_offer_are_refused_with_what_it_does():
    for text, key, said in [("arcface", "loss", "not one of softmax, a_softmax, cosface"),
                            ("4", "dim", "not one of 2, 3"), ("yes", "project", "not one of false, true"),
                            ("0.02", "lr", "not one of 0.001, 0.01, 0.05"),
                            ("6.01", "m", "not a number from 1 to 6"), ("nan", "m", "not a number from 1 to 6"),
                            ("inf", "m", "not a number from 1 to 6"), ("banana", "m", "not a number"),
                            ("", "m", "not a number"), ("1.5", "seed", "not a whole number"),
                            ("-1", "seed", "not a number from 0 to 1000000"),
                            ("softmax", "losses", "give 2 to 3 different ones"),
                            ("softmax,softmax", "losses", "give 2 to 3 different ones"),
                            ("softmax,arcface", "losses", "not one of softmax, a_softmax, cosface")]:
        values, problems = read({key: text}, DECLARED)
        assert values == {} and len(problems) == 1 and said in problems[0], (text, problems)
        assert problems[0].endswith("the default kept")


def test_unknown_keys_and_long_values_are_reported_and_the_rest_read():
    values, problems = read({"loss": "cosface", "colour": "red", "m": "2" * (MAX_TEXT + 1), "controls": "hidden"},
                            DECLARED)
    assert values == {"loss": "cosface"}
    assert problems == ["'colour' is not a setting of this page: ignored",
                        f"m: a value of {MAX_TEXT + 1:,} characters: ignored, the default kept"]


def test_write_then_read_gives_the_same_settings():
    chosen = {"loss": "a_softmax", "dim": 3, "project": True, "lr": 0.001, "m": 0.1 * 35, "seed": 7,
              "losses": ["softmax", "cosface"], "not declared": 1}
    query = write(chosen, DECLARED)
    assert query == {"loss": "a_softmax", "dim": "3", "project": "true", "lr": "0.001", "m": "3.5", "seed": "7",
                     "losses": "softmax,cosface"}
    values, problems = read(query, DECLARED)
    assert problems == [] and values == {k: v for k, v in chosen.items() if k in DECLARED}


def test_tokens_are_short_and_exact():
    assert token(0.1 + 0.2) == repr(0.1 + 0.2)  # not 0.3: that would be another value
    assert token(0.35) == "0.35" and token(4.0) == "4" and token(True) == "true" and token([1, 2.5]) == "1,2.5"


def test_hidden_controls_only_on_the_word_hidden():
    assert hidden({"controls": "hidden"}) and hidden({"controls": " Hidden "})
    assert not hidden({}) and not hidden({"controls": "shown"}) and not hidden({"controls": "1"})


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from([*DECLARED, "controls", "x"]) | st.text(max_size=60), st.text(max_size=300)))
def test_fuzz_any_query_is_read_without_raising_and_every_value_is_one_the_control_offers(query):
    values, problems = read(query, DECLARED)
    assert set(values) <= set(DECLARED) and all("\n" not in p for p in problems)
    assert len(values) + len(problems) == sum(k not in (HIDE, PRESENT, FOLLOW) for k in query)  # not settings
    for key, value in values.items():
        control = DECLARED[key]
        if isinstance(control, Choice):
            assert value in control.options
        elif isinstance(control, Many):
            assert set(value) <= set(control.options) and control.least <= len(value) <= control.most
        else:
            assert math.isfinite(value) and control.low <= value <= control.high
