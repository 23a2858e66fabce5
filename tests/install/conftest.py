"""One fresh install per test session, made by replaying the Dockerfile's builder stage.

The builder stage is what a user does: build a wheel of this package alone and install that
wheel, with its declared dependencies and no extras, into a new virtual environment. Replaying
it here proves `pip install` and the image at once (tests/install/dockerfile.py).

That install takes about a minute from the package registry, so the environment is kept under
`.cache/install/<hash>/` (gitignored), keyed by pyproject.toml, the builder stage and the Python
version: a dependency change, an edited install step or another Python makes a new one from
nothing, as on a fresh CI machine. A kept environment still gets the wheel of the current
sources (built as the Dockerfile builds it, installed with --no-deps over the old one).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.install.dockerfile import DockerIgnore, PathMap, Replay, Stage, parse

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("SCRUBBER_INSTALL_CACHE", ROOT / ".cache" / "install"))
LOCK_TIMEOUT_S = 900


@dataclass
class ImageReplay:
    """The replayed image: host folders for its paths and the runtime stage as data."""

    builder: Stage
    runtime: Stage
    folders: dict[str, Path]   # image prefix -> host folder (all but the data volume)
    environ: dict[str, str]    # the runtime stage's ENV, as the image sets it
    log: Path

    @property
    def venv(self) -> Path:
        return self.folders["/opt/scrubber"]

    def paths(self, volume: Path) -> PathMap:
        """The image's paths for one container: its own data volume at /var/lib/scrubber."""
        return PathMap({**self.folders, "/var/lib/scrubber": volume})


def _key(stages: list[Stage]) -> str:
    digest = hashlib.sha256()
    digest.update((ROOT / "pyproject.toml").read_bytes())
    for step in stages[0].instructions:
        digest.update(f"{step.keyword} {step.args}\n".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def _wheel_digest(wheel: Path) -> str:
    """What a wheel holds (names and bytes, not zip timestamps): equal digests, same install."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            digest.update(name.encode() + b"\0" + archive.read(name))
    return digest.hexdigest()


#: how this machine reaches the package registry (proxy, certificates, index): passed on to the
#: replayed RUN steps as a build machine would have them; nothing else of the test's environment is
REGISTRY_ACCESS = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                   "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_CERT", "PIP_DEFAULT_TIMEOUT",
                   "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")


def _python_shim(folder: Path) -> dict[str, str]:
    """The image has `python` on PATH; here it is this interpreter (its `-m venv` makes a clean one)."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "python"
    if not shim.exists():
        shim.symlink_to(sys.executable)
    access = {name: os.environ[name] for name in REGISTRY_ACCESS if name in os.environ}
    return {**access, "PATH": f"{folder}:/usr/local/bin:/usr/bin:/bin", "HOME": str(folder.parent), "LANG": "C.UTF-8"}


class _Lock:
    """Another engineer's test session may be building the same environment right now."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w")

    def __enter__(self):
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.handle.name} held for {LOCK_TIMEOUT_S}s") from None
                time.sleep(1)

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _build(home: Path, stages: list[Stage], ignore: DockerIgnore) -> None:
    """The whole builder stage, from nothing. Environments of other keys that no session used
    for an hour go (about 600 MB each)."""
    for old in home.parent.iterdir():
        used = old / "used"
        if old.is_dir() and old != home and (not used.exists() or time.time() - used.stat().st_mtime > 3600):
            shutil.rmtree(old, ignore_errors=True)
    if home.exists():
        shutil.rmtree(home)
    folders = _folders(home)
    replay = Replay(ROOT, PathMap(folders), _python_shim(home / "shim"), ignore=ignore)
    replay.stage(stages[0], log=home / "build.log")
    (home / "wheel.sha256").write_text(_wheel_digest(_wheel(folders)))
    (home / "complete").write_text("")


def _refresh(home: Path, stages: list[Stage], ignore: DockerIgnore) -> None:
    """A kept environment: the builder's COPY steps again, the wheel again, reinstalled if it changed."""
    folders = _folders(home)
    shutil.rmtree(folders["/wheels"], ignore_errors=True)
    replay = Replay(ROOT, PathMap(folders), _python_shim(home / "shim"), ignore=ignore)
    replay.stage(stages[0], run=False)
    pip = folders["/opt/scrubber"] / "bin" / "pip"
    replay.run(f"{pip} wheel --no-deps --wheel-dir /wheels .", home / "build.log")
    wheel = _wheel(folders)
    digest = _wheel_digest(wheel)
    if (home / "wheel.sha256").read_text() != digest:
        replay.run(f"{pip} install --no-deps --force-reinstall {wheel}", home / "build.log")
        (home / "wheel.sha256").write_text(digest)


def _folders(home: Path) -> dict[str, Path]:
    return {prefix: home / "image" / prefix.strip("/").replace("/", "_")
            for prefix in ("/src", "/wheels", "/opt/scrubber", "/etc/scrubber")}


def _wheel(folders: dict[str, Path]) -> Path:
    wheels = sorted(folders["/wheels"].glob("scrubber-*.whl"))
    assert len(wheels) == 1, f"the builder should leave one scrubber wheel, found {wheels}"
    return wheels[0]


@pytest.fixture(scope="session")
def image() -> ImageReplay:
    """The image's builder stage replayed (or its kept result refreshed) and its runtime stage read."""
    stages = parse((ROOT / "Dockerfile").read_text())
    assert len(stages) == 2, "the replay expects a builder and a runtime stage"
    ignore = DockerIgnore((ROOT / ".dockerignore").read_text())
    home = CACHE / _key(stages)
    with _Lock(CACHE / "lock"):
        if (home / "complete").exists():
            _refresh(home, stages, ignore)
        else:
            _build(home, stages, ignore)
        (home / "used").touch()
        folders = _folders(home)
        # the runtime stage: its files (COPY) and ENV; its RUN only creates the image's user
        runtime_env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
        runtime = Replay(ROOT, PathMap({**folders, "/var/lib/scrubber": home / "unused-volume"}), runtime_env,
                         ignore=ignore)
        runtime.stage(stages[1], run=False)
    return ImageReplay(stages[0], stages[1], folders, runtime.environ, home / "build.log")
