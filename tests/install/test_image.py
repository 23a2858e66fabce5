"""The image, replayed without a Docker engine: its runtime stage's ENV, VOLUME, HEALTHCHECK,
ENTRYPOINT and CMD, run against the environment its builder stage installed (see conftest).

A container is: the image's environment (paths mapped into host folders, the data VOLUME a
fresh folder per test), the working directory the image sets, the command ENTRYPOINT + CMD.
Only the listen addresses are moved to free 127.0.0.1 ports, as `docker run -e` would.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

from tests.install.dockerfile import exec_form, healthcheck_command
from tests.install.running import Installed, loopback_endpoints, send_span, wait_for_span


class Container:
    def __init__(self, image, volume: Path, env: dict[str, str] | None = None):
        self.paths = image.paths(volume)
        self.env = {key: self.paths.command(value) for key, value in image.environ.items()}
        self.env.update({"LANG": "C.UTF-8", "HOME": str(volume), **loopback_endpoints(), **(env or {})})
        self.workdir = self.paths.host(image.runtime.last("WORKDIR").args)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.command = [self.paths.command(word) for word in exec_form(image.runtime.last("ENTRYPOINT").args)
                        + exec_form(image.runtime.last("CMD").args)]
        self.healthcheck = [self.paths.command(word) for word in healthcheck_command(image.runtime)]
        self.image = image

    def process(self) -> Installed:
        command = [_which(self.command[0], self.env["PATH"]), *self.command[1:]]
        return Installed(command, self.workdir, self.env)

    def probe(self, **env: str) -> int:
        """Docker's HEALTHCHECK: the command, in the container's environment, exit 0 = healthy."""
        command = [_which(self.healthcheck[0], self.env["PATH"]), *self.healthcheck[1:]]
        return subprocess.run(command, env={**self.env, **env}, capture_output=True, timeout=30).returncode


def _which(name: str, path: str) -> str:
    """What the container's PATH finds (the image's venv first), never the test's interpreter."""
    for folder in path.split(":"):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise AssertionError(f"{name} is not on the image's PATH {path}")


def _mount_keys(volume: Path) -> None:
    """What a Secret mounted at <volume>/keys provides: one key file per jurisdiction."""
    keys = volume / "keys"
    keys.mkdir(parents=True)
    for name in ("eu", "in", "us"):
        (keys / f"{name}.key").write_text(secrets.token_hex(32) + "\n")
        (keys / f"{name}.key").chmod(0o400)


def test_image_command_is_the_installed_scrubber(image, tmp_path):
    container = Container(image, tmp_path / "volume")
    assert container.process().command[0] == str(image.venv / "bin" / "scrubber")
    assert Path(container.env["SCRUBBER_DATA_DIR"]) == tmp_path / "volume"
    assert (image.folders["/etc/scrubber"] / "federated.yaml").is_file()


def test_without_mounted_keys_the_image_refuses_to_start_and_generates_nothing(image, tmp_path):
    volume = tmp_path / "volume"
    container = Container(image, volume)
    process = container.process().start()
    try:
        code = process.proc.wait(timeout=90)
    finally:
        process.stop()
    assert code == 1
    assert "keys/eu.key does not exist" in process.stderr()
    assert not (volume / "keys").exists(), "no key may be generated inside a container without asking"


def test_with_mounted_keys_it_serves_and_its_healthcheck_follows_the_endpoint(image, tmp_path):
    volume = tmp_path / "volume"
    _mount_keys(volume)
    container = Container(image, volume)
    before = {p.name: p.read_text() for p in (volume / "keys").iterdir()}
    assert container.probe() == 1, "nothing listens yet: unhealthy"
    with container.process() as process:
        process.wait_ready()
        assert container.probe() == 0, "the probe reads SCRUBBER_HEALTH_ENDPOINT, moved to a free port here"
        assert container.probe(SCRUBBER_HEALTH_ENDPOINT=loopback_endpoints()["SCRUBBER_HEALTH_ENDPOINT"]) == 1
        send_span(container.env["SCRUBBER_GRPC_ENDPOINT"], "eu-central-1", "image-test-eu-span")
        wait_for_span(volume / "regional" / "eu" / "traces.jsonl", "image-test-eu-span")
        assert process.stop() == 0, process.stderr()[-2000:]
    assert {p.name: p.read_text() for p in (volume / "keys").iterdir()} == before, "mounted keys are only read"


def test_generating_keys_is_an_explicit_choice_for_a_persistent_volume(image, tmp_path):
    volume = tmp_path / "volume"
    container = Container(image, volume, {"SCRUBBER_GENERATE_KEYS": "true"})
    with container.process() as process:
        process.wait_ready()
        assert process.stop() == 0
    assert sorted(p.name for p in (volume / "keys").iterdir()) == ["eu.key", "in.key", "us.key"]
    assert "generated a new random pseudonymization key file" in process.stderr()
