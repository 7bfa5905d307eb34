"""The janitor frees what reference cycles hold once Python's own collector no longer gets to it."""
import gc
import subprocess
import sys
import weakref

from devtools.appdriver import ROOT

from sphereface_viz import housekeeping


class Node:
    def __init__(self):
        self.me = self  # a cycle: only a full collection frees it
        self.payload = bytearray(1 << 20)


def test_collect_frees_a_cycle_the_automatic_collector_left():
    was = gc.isenabled()
    gc.disable()  # as in a server whose long-lived heap keeps full collections from running
    try:
        ref = weakref.ref(Node())
        assert ref() is not None  # a cycle outlives its last name
        assert housekeeping.collect() >= 1
        assert ref() is None
    finally:
        if was:
            gc.enable()


def test_the_janitor_starts_once_and_sweeps_garbage_made_after_it():
    """In a fresh interpreter: two start() calls, one thread; a cycle made later is freed within its
    period without any collection of ours."""
    code = """
import gc, threading, time, weakref
from sphereface_viz import housekeeping
gc.disable()
housekeeping.start(period=0.05)
housekeeping.start(period=0.05)
class Node:
    def __init__(self): self.me = self
ref = weakref.ref(Node())
alive_at_first = ref() is not None
time.sleep(0.5)
print(alive_at_first, ref() is None, sum(t.name == "housekeeping" for t in threading.enumerate()))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "1"]
