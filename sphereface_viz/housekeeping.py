"""Giving back the memory of closed sessions in a long-running app server.

A closed tab leaves its objects (the web framework's session, its script threads, our trainer) in
reference cycles, so only Python's full collection frees them. With torch and plotly loaded the
heap holds ~450k long-lived objects, and CPython starts a full collection only when the objects
that survived younger collections reach a quarter of that: in a classroom server it may never
happen (50 closed sessions stay held for ten minutes and more without it, `bench/load.py --only cycles`).

`start()` runs a janitor thread: every `period` seconds the app's own clean-ups (`chores`), a full
collection, then glibc's `malloc_trim` so the freed pages leave the process too (otherwise its RSS
never falls).
`gc.freeze()` first moves everything imported so far out of the collector's sight, so each
collection scans less and holds the GIL every student's training needs for less time
(docs/benchmarks.md).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import threading
import time

_started = threading.Lock()
_janitor: threading.Thread | None = None


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, looked up once (find_library may run ldconfig), or None elsewhere."""
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None


def trim() -> None:
    """Hand the allocator's free pages back to the OS (glibc only; elsewhere nothing to do)."""
    malloc_trim = _malloc_trim()
    if malloc_trim is not None:
        malloc_trim(0)


def collect() -> int:
    """One full collection and a trim; returns the number of unreachable objects found."""
    found = gc.collect()
    trim()
    return found


def start(period: float = 30.0, chores: tuple = ()) -> None:
    """Start the janitor once per process (later calls do nothing); `chores` are callables run before
    each collection."""
    global _janitor
    with _started:
        if _janitor is not None:
            return
        gc.freeze()
        _janitor = threading.Thread(target=_sweep, args=(period, chores), name="housekeeping", daemon=True)
        _janitor.start()


def _sweep(period: float, chores: tuple) -> None:
    while True:
        time.sleep(period)
        for chore in chores:
            try:
                chore()
            except Exception:  # a failed chore must not end the janitor; the next sweep tries again
                logging.getLogger(__name__).exception("housekeeping: %r failed", chore)
        collect()
