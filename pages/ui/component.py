"""A Streamlit component served from local files: its page, its script and any other files, written to a
folder of their own under the system's temp directory and declared once per process (so the app works
offline and the tests can load the same page in Chromium without a server)."""
from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import streamlit.components.v1 as components


class LocalComponent:
    def __init__(self, name: str, index: str, script: Path, extras: tuple[Path, ...] = ()):
        """name: the component's (its iframe's title ends with it); index: its page's HTML, which loads
        `script` by its file name; extras: further files beside them (copied when missing or changed)."""
        self.name, self.index, self.script, self.extras = name, index, Path(script), tuple(map(Path, extras))
        self.folder = Path(tempfile.gettempdir()) / f"sphereface-viz-{name.replace('_', '-')}"

    def files(self) -> Path:
        """Write the page and its files; the page's path."""
        self.folder.mkdir(exist_ok=True)
        (self.folder / "index.html").write_text(self.index)
        shutil.copyfile(self.script, self.folder / self.script.name)
        for source in self.extras:
            target = self.folder / source.name
            if not target.exists() or target.stat().st_size != source.stat().st_size:
                shutil.copyfile(source, target)
        return self.folder / "index.html"

    @functools.cached_property
    def _declared(self):
        self.files()
        return components.declare_component(self.name, path=str(self.folder))

    def __call__(self, **args):
        return self._declared(**args)
