"""``python -m web.screenshots`` writes a PNG per main page at phone and desktop width."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, MISSING
from tests.servers import ROOT

pytestmark = pytest.mark.browser


def test_screenshots_of_every_main_page_at_two_widths(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(MISSING, pytrace=False)
    out = tmp_path / "shots"
    command = [sys.executable, "-m", "web.screenshots", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in out.iterdir())
    for page in ("home", "post", "tag", "user", "shop", "product", "login", "write", "profile"):
        for width in ("phone", "desktop"):
            assert f"{page}-{width}.png" in names
    shot = (out / "home-phone.png").read_bytes()
    assert shot.startswith(b"\x89PNG") and len(shot) > 5_000
