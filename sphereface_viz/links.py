"""Settings in a link: a teacher's URL opens exactly one set-up for every student.

Whoever typed the URL is not trusted. Each value is read against what its control offers, one of its
options or a number in its range, and anything else is reported and left at the control's default. Nothing
here is a path, and no value is used before it is read.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

MAX_TEXT = 200  # characters of one value read; a longer one is refused unread
HIDE = "controls"  # ?controls=hidden: a curated link, its settings out of sight
# Who the page is in present mode (sphereface_viz.present): ?present=<secret> drives a presentation, ?follow=<room>
# follows one. Not settings: links.read leaves them to the page.
PRESENT, FOLLOW = "present", "follow"


@dataclass(frozen=True)
class Choice:
    """A control offering these options (a select box, radio, select slider or toggle)."""
    options: tuple


@dataclass(frozen=True)
class Number:
    """A slider or number box: a number in [low, high], on the grid low + k·step when step is given."""
    low: float
    high: float
    step: float | None = None
    integer: bool = False


@dataclass(frozen=True)
class Many:
    """A multi-select: comma-separated options, `least` to `most` of them, none twice; `why`: the reason for the
    bounds, said when a link breaks them."""
    options: tuple
    least: int
    most: int
    why: str = ""


def token(value) -> str:
    """How a value is written in a link: true/false, 0.35 (not 0.35000000000000003), a name."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, "g") if value == float(format(value, "g")) else repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(token(v) for v in value)
    return str(value)


def _one(text: str, options: tuple):
    for option in options:
        if token(option).lower() == text.lower():
            return option
        if isinstance(option, (int, float)) and not isinstance(option, bool):
            try:
                if float(text) == option:
                    return option
            except ValueError:
                pass
    raise ValueError(f"not one of {', '.join(token(o) for o in options)}")


def parse(text: str, control):
    """The value `text` stands for under `control`, or ValueError saying what the control accepts."""
    text = text.strip()
    if isinstance(control, Choice):
        return _one(text, control.options)
    if isinstance(control, Many):
        picked = [_one(part.strip(), control.options) for part in text.split(",") if part.strip()]
        if not control.least <= len(picked) <= control.most or len(set(picked)) != len(picked):
            why = f" ({control.why})" if control.why else ""
            raise ValueError(f"give {control.least} to {control.most} different ones of "
                             f"{', '.join(token(o) for o in control.options)}{why}")
        return picked
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value) or not control.low <= value <= control.high:
        raise ValueError(f"not a number from {token(control.low)} to {token(control.high)}")
    if control.integer:
        if value != int(value):
            raise ValueError("not a whole number")
        return int(value)
    if control.step:  # the slider's own grid, so the widget can show it
        k = round((value - control.low) / control.step)
        value = round(control.low + k * control.step, 10)
    return value


def read(query: Mapping[str, str], declared: Mapping[str, object]) -> tuple[dict, list[str]]:
    """The declared settings a link gives, and one readable line for each value it gives that cannot be
    used (that setting keeps its default). Keys it does not declare are reported too, but for `HIDE`."""
    values, problems = {}, []
    for key, text in query.items():
        shown = (key[:40] + "…") if len(key) > 40 else key
        if key in (HIDE, PRESENT, FOLLOW):
            continue
        if key not in declared:
            problems.append(f"{shown!r} is not a setting of this page: ignored")
            continue
        if len(text) > MAX_TEXT:
            problems.append(f"{shown}: a value of {len(text):,} characters: ignored, the default kept")
            continue
        try:
            values[key] = parse(text, declared[key])
        except ValueError as err:
            quoted = text if len(text) <= 40 else text[:40] + "…"
            problems.append(f"{shown} = {quoted!r}: {err}; the default kept")
    return values, problems


def write(values: Mapping[str, object], declared: Mapping[str, object]) -> dict[str, str]:
    """The query a link carries for these settings: the declared ones only, as tokens."""
    return {key: token(values[key]) for key in declared if key in values}


def hidden(query: Mapping[str, str]) -> bool:
    """Whether a link asks for the controls out of sight."""
    return query.get(HIDE, "").strip().lower() == "hidden"
