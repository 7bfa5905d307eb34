"""docs/figures.py, which makes every picture of the README and docs, still runs (a short run: the
pictures themselves are looked at by a person, never compared byte for byte)."""
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]


def test_the_figures_script_makes_every_picture_the_readme_shows(tmp_path):
    result = subprocess.run([sys.executable, "docs/figures.py", "--quick", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    readme = (ROOT / "README.md").read_text()
    shown = {line.split("](docs/img/")[1].split(")")[0] for line in readme.splitlines() if "](docs/img/" in line}
    assert shown == {"train.png", "settling.gif", "anatomy.png", "map.png", "probe.png"}
    for name in shown:
        frames = list(iio.imiter(tmp_path / name, plugin="pillow"))
        assert frames[0].shape[0] >= 500 and frames[0].shape[1] >= 700, name
        assert frames[0].std() > 10, name  # a picture, not a blank page
    assert len(list(iio.imiter(tmp_path / "settling.gif", plugin="pillow"))) > 5
