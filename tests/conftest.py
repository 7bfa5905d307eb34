import io
import os
import tempfile
import zipfile

import numpy as np
import pytest

# Nothing may download during the tests: the loaders (and CLI subprocesses, which inherit this) stay offline.
os.environ["SPHEREFACE_VIZ_OFFLINE"] = "1"
# The run store (sphereface_viz.store) of the tests' own sessions: never the user's cache.
os.environ.setdefault("SPHEREFACE_VIZ_RUNS", tempfile.mkdtemp(prefix="sphereface-viz-runs-"))

# How many cases each fuzzer tried, printed at the end of the run (CI's log shows it).
FUZZED: dict[str, int] = {}


def pytest_terminal_summary(terminalreporter):
    for name, cases in sorted(FUZZED.items()):
        terminalreporter.write_line(f"fuzzed {name}: {cases:,} cases")


def declaring(member: str, shape: tuple, dtype: str = "<f4", truthful: bool = True) -> bytes:
    """A zip whose member's .npy header declares `shape`; truthful: the data is really there (zeros,
    deflated ~1000:1 at level 9, streamed so the test never holds it)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize if truthful else 64
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open(member + ".npy", "w") as handle:
            handle.write(header.getvalue())
            chunk = bytes(2**24)
            for start in range(0, size, len(chunk)):
                handle.write(chunk[: min(len(chunk), size - start)])
    return out.getvalue()


@pytest.fixture(scope="session")
def crafted_run_file(tmp_path_factory):
    """Issue #17's attack: a 1.2 MB run file whose features declare 1.2 GB (~10 s to deflate, made once)."""
    path = tmp_path_factory.mktemp("crafted") / "crafted.npz"
    path.write_bytes(declaring("features", (100_000, 1_000, 3)))
    return path


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server for the session, on a free port (devtools/redisserver.py)."""
    from devtools.redisserver import RedisServer

    with RedisServer() as server:
        yield server


@pytest.fixture(params=["folder", "redis"])
def make_store(request, tmp_path):
    """make_store(max_bytes) -> a run store of each kind, empty: the folder's in tmp_path, or Redis's (the session's
    server, emptied first)."""
    from sphereface_viz.store import RunStore

    if request.param == "folder":
        return lambda max_bytes=2**30: RunStore(tmp_path, max_bytes)
    from sphereface_viz.redis_store import RedisStore

    server = request.getfixturevalue("redis_server")
    server.client().flushdb()
    return lambda max_bytes=2**30: RedisStore(server.url, max_bytes)
