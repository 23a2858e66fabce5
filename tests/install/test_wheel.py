"""`pip install` of the wheel alone gives a working scrubber (issue 11).

The environment is the Dockerfile builder's (see conftest): a wheel of this package, installed
with its declared dependencies and no extras into a fresh venv. From an empty folder, with no
config given, `scrubber` must serve its embedded default and put an SDK span in its regional
file. A missing dependency (as `google.rpc` once was) or a data file left out of the wheel
fails here, while the test extras of the checkout's .venv would hide it.
"""

from __future__ import annotations

import json
import stat
import subprocess

from tests.install.running import Installed, loopback_endpoints, send_span, wait_for_span

BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def _python(image, code: str, cwd) -> str:
    result = subprocess.run([str(image.venv / "bin" / "python"), "-c", code], cwd=cwd, env=BASE_ENV,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_wheel_alone_is_installed_and_consistent(image, tmp_path):
    found = json.loads(_python(image, "import importlib.metadata as m, json, scrubber, scrubber.processors.pii as pii; print(json.dumps("
                                      "{'scrubber': scrubber.__file__, 'pii': pii.__file__, "
                                      "'dists': sorted(d.metadata['Name'].lower() for d in m.distributions())}))", tmp_path))
    assert found["scrubber"].startswith(str(image.venv)) and found["pii"].startswith(str(image.venv))
    # no test extra: what makes the checkout's suite green must not be what makes the install work
    assert not {"pytest", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-grpc"} & set(found["dists"])
    check = subprocess.run([str(image.venv / "bin" / "pip"), "check"], env=BASE_ENV, capture_output=True, text=True,
                           timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    # every component plug-in the package declares loads (a missing import fails here, by name)
    loaded = json.loads(_python(image, "import json; from scrubber.component import Kind; "
                                       "from scrubber.registry import default_registry as r; "
                                       "print(json.dumps({k.value: [f.type for f in r().all_factories(k)] for k in Kind}))",
                                tmp_path))
    assert {"otlp", "file", "quarantine"} <= set(loaded["exporters"]) and "otlp" in loaded["receivers"]
    assert {"pii", "residency", "egress_guard"} <= set(loaded["processors"])


def test_embedded_default_from_an_empty_folder_delivers_an_sdk_span(image, tmp_path):
    workdir, data = tmp_path / "empty", tmp_path / "state"
    workdir.mkdir()
    endpoints = loopback_endpoints()
    scrubber = [str(image.venv / "bin" / "scrubber")]

    printed = subprocess.run(scrubber + ["default-config"], cwd=workdir, env=BASE_ENV, capture_output=True,
                             text=True, timeout=60)
    assert printed.returncode == 0 and "residency_router:" in printed.stdout
    valid = subprocess.run(scrubber + ["validate", "--data-dir", str(data)], cwd=workdir, env=BASE_ENV,
                           capture_output=True, text=True, timeout=60)
    assert valid.returncode == 0, valid.stderr

    with Installed(scrubber + ["run", "--data-dir", str(data)], workdir, {**BASE_ENV, **endpoints}) as process:
        process.wait_ready()
        send_span(endpoints["SCRUBBER_GRPC_ENDPOINT"], "eu-central-1", "install-test-eu-span")
        wait_for_span(data / "regional" / "eu" / "traces.jsonl", "install-test-eu-span")
        assert process.stop() == 0, process.stderr()[-2000:]

    assert list(workdir.iterdir()) == [], "everything is written under --data-dir, nothing in the working folder"
    for name in ("eu", "in", "us"):  # generated on first run outside a container, owner-only
        key = data / "keys" / f"{name}.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
