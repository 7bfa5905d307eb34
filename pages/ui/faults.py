"""What a page says when something fails: never where the server keeps its files."""
from __future__ import annotations

from sphereface_viz.data import without_server_paths


def fault(err: BaseException) -> str:
    """An error as a student's browser may see it: the server's data folder named <data>."""
    return without_server_paths(str(err))
