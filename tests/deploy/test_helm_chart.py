"""The Helm chart deploy/helm/scrubber, linted and rendered by a real `helm` (built from its Go
module by deploy/install-helm.sh), and the rendered objects read back with PyYAML.

What matters in a regional cluster: the workload is non-root on a read-only root filesystem
with probes on the health endpoint; the NetworkPolicy lets it reach exactly the configured
backends and DNS; keys come from existing Secrets; the queue is on node or volume storage;
and the config the chart renders is one scrubber itself accepts, sending to those backends.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from scrubber.component import Kind
from scrubber.config.loader import load_config

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "scrubber"
EXAMPLES = CHART / "examples"
REGIONS = ("eu", "in", "us")
MODES = ("daemonset", "deployment")
WORKLOAD = {"daemonset": "DaemonSet", "deployment": "Deployment"}


@pytest.fixture(scope="session")
def helm() -> str:
    """The cached helm, built on first use (.ci/run builds it before the tests)."""
    result = subprocess.run(["bash", str(ROOT / "deploy" / "install-helm.sh")], capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([helm, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HELM_CACHE_HOME": "/tmp/helm-cache", "HELM_CONFIG_HOME": "/tmp/helm-config",
                               "HELM_DATA_HOME": "/tmp/helm-data"})


def render(helm: str, region: str = "eu", *sets: str, release: str = "scrubber") -> list[dict]:
    args = ["template", release, str(CHART), "--namespace", "observability", "-f", str(EXAMPLES / f"values-{region}.yaml")]
    for item in sets:
        args += ["--set", item]
    result = run_helm(helm, *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_error(helm: str, region: str, *sets: str) -> str:
    args = ["template", "scrubber", str(CHART), "-f", str(EXAMPLES / f"values-{region}.yaml")]
    for item in sets:
        args += ["--set", item]
    result = run_helm(helm, *args)
    assert result.returncode != 0, "the chart should have refused these values"
    return result.stderr


def one(docs: list[dict], kind: str) -> dict:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"{kind}: {len(found)} rendered"
    return found[0]


def container(workload: dict, name: str = "scrubber") -> dict:
    return next(c for c in workload["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def example(region: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"values-{region}.yaml").read_text())


def rendered_config(docs: list[dict]) -> dict:
    return yaml.safe_load(one(docs, "ConfigMap")["data"]["config.yaml"])


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("mode", MODES)
def test_helm_lint_passes(helm, region, mode):
    result = run_helm(helm, "lint", "--strict", str(CHART), "-f", str(EXAMPLES / f"values-{region}.yaml"),
                      "--set", f"mode={mode}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_renders_its_workload_with_networkpolicy_non_root_and_probes(helm, mode):
    docs = render(helm, "eu", f"mode={mode}")
    kinds = {d["kind"] for d in docs}
    assert WORKLOAD[mode] in kinds and WORKLOAD[{"daemonset": "deployment", "deployment": "daemonset"}[mode]] not in kinds
    assert {"NetworkPolicy", "ConfigMap", "Service", "ServiceAccount"} <= kinds
    workload = one(docs, WORKLOAD[mode])
    pod = workload["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    assert pod["automountServiceAccountToken"] is False
    main = container(workload)
    security = main["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["runAsNonRoot"] is True and security["capabilities"]["drop"] == ["ALL"]
    ports = {p["name"]: p for p in main["ports"]}
    health_env = {e["name"]: e.get("value") for e in main["env"]}["SCRUBBER_HEALTH_ENDPOINT"]
    assert health_env.endswith(f":{ports['health']['containerPort']}")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert main[probe]["httpGet"] == {"path": "/", "port": "health"}, probe
    assert main["resources"]["requests"]["memory"] and main["resources"]["limits"]["memory"]
    assert main["resources"]["requests"]["cpu"] and main["resources"]["limits"]["cpu"]
    policy = one(docs, "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= workload["spec"]["template"]["metadata"]["labels"].items()
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    # the only writable places are the data volume and /tmp
    mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    assert mounts["/etc/scrubber/config"]["readOnly"] is True
    assert set(mounts) == {"/etc/scrubber/config", "/var/lib/scrubber", "/tmp"}


@pytest.mark.parametrize("region", REGIONS)
def test_networkpolicy_egress_names_exactly_the_configured_backends_and_dns(helm, region):
    values = example(region)
    backends = [*values["backends"]["regional"].values(), values["backends"]["global"]]
    docs = render(helm, region)
    egress = one(docs, "NetworkPolicy")["spec"]["egress"]
    expected = [{"to": b["to"], "ports": [{"port": b["port"], "protocol": "TCP"}]} for b in backends]
    dns = [r for r in egress if {p["port"] for p in r["ports"]} == {53}]
    assert len(dns) == 1 and {p["protocol"] for p in dns[0]["ports"]} == {"UDP", "TCP"}
    assert sorted(map(repr, [r for r in egress if r not in dns])) == sorted(map(repr, expected))


@pytest.mark.parametrize("region", REGIONS)
def test_rendered_config_is_valid_and_sends_only_to_those_backends(helm, region, tmp_path, monkeypatch):
    values = example(region)
    docs = render(helm, region)
    main = container(one(docs, WORKLOAD[values["mode"]]))
    env = {e["name"]: e["value"] for e in main["env"] if "value" in e}
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in main["env"] if "valueFrom" in e}
    assert secrets == {f"SCRUBBER_KEY_{name.upper()}": {"name": key["secretName"], "key": key["secretKey"]}
                       for name, key in values["keys"].items()}, "keys come from the existing Secrets, nothing else"
    assert env["SCRUBBER_GENERATE_KEYS"] == "false"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in secrets:
        monkeypatch.setenv(name, f"{name.lower()}-0123456789abcdef")  # what the Secret would hold
    path = tmp_path / "config.yaml"
    path.write_text(one(docs, "ConfigMap")["data"]["config.yaml"])
    config = load_config(path)  # scrubber's own loader and checks: a config error fails here
    exporters = config.components[Kind.EXPORTER].values()
    endpoints = {entry.config.endpoint for entry in exporters if hasattr(entry.config, "endpoint")}
    backends = [*values["backends"]["regional"].values(), values["backends"]["global"]]
    assert endpoints == {f"{b['host']}:{b['port']}" for b in backends}


def test_config_is_the_repository_federated_config_with_queues_on_the_data_volume(helm):
    link = CHART / "files" / "federated.yaml"
    assert link.is_symlink() and link.resolve() == (ROOT / "config" / "federated.yaml").resolve()
    federated = yaml.safe_load((ROOT / "config" / "federated.yaml").read_text())
    config = rendered_config(render(helm, "eu"))
    assert config["service"] == federated["service"] and config["connectors"] == federated["connectors"]
    for name, exporter in config["exporters"].items():
        if "endpoint" in exporter:
            assert exporter["sending_queue"]["storage"] == "/var/lib/scrubber/queue", name
    assert "sending_queue" not in rendered_config(render(helm, "eu", "persistence.enabled=false"))["exporters"]["otlp/eu"]
    overridden = rendered_config(render(helm, "eu", "config.processors.batch.timeout=1s"))
    assert overridden["processors"]["batch"]["timeout"] == "1s"
    assert overridden["processors"]["memory_limiter"] == federated["processors"]["memory_limiter"]


def test_persistent_queue_is_on_a_hostpath_per_node_or_a_pvc(helm):
    daemonset = one(render(helm, "eu", "mode=daemonset"), "DaemonSet")
    volumes = {v["name"]: v for v in daemonset["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"]["hostPath"]["path"] == "/var/lib/scrubber/observability-scrubber"
    init = daemonset["spec"]["template"]["spec"]["initContainers"][0]
    assert init["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN"]}

    docs = render(helm, "in", "mode=deployment")
    claim = one(docs, "PersistentVolumeClaim")
    deployment = one(docs, "Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert "initContainers" not in deployment["spec"]["template"]["spec"]


def test_daemonset_mode_keeps_telemetry_on_the_node(helm):
    docs = render(helm, "eu", "mode=daemonset")
    assert one(docs, "Service")["spec"]["internalTrafficPolicy"] == "Local"
    ports = {p["name"]: p for p in container(one(docs, "DaemonSet"))["ports"]}
    assert ports["otlp"]["hostPort"] == 4317 and "hostPort" not in ports["metrics"]
    assert "internalTrafficPolicy" not in one(render(helm, "eu", "mode=deployment"), "Service")["spec"]


def test_servicemonitor_is_optional(helm):
    assert "ServiceMonitor" not in {d["kind"] for d in render(helm, "eu")}
    monitor = one(render(helm, "us"), "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


@pytest.mark.parametrize("sets, message", [
    (["mode=sidecar"], 'mode: "sidecar" is not one of daemonset, deployment'),
    (["backends.regional.us=null"], "backends.regional.us: the config sends to ${env:SCRUBBER_REGIONAL_US_ENDPOINT}"),
    (["backends.regional.br.host=otlp.br.example.net", "backends.regional.br.port=4317",
      "backends.regional.br.to[0].ipBlock.cidr=192.0.2.0/28"], "backends.regional.br: the config never uses"),
    (["backends.global.to=null"], "backends.global.to: name the NetworkPolicy peers"),
    (["keys.in=null"], "keys.in: the config reads the key from SCRUBBER_KEY_IN"),
    (["mode=deployment", "replicaCount=3"], "one PersistentVolumeClaim cannot hold the queues of several replicas"),
])
def test_chart_refuses_values_that_cannot_work(helm, sets, message):
    assert message in render_error(helm, "eu", *sets)


def test_sidecar_snippet_matches_what_the_chart_renders(helm):
    snippet = yaml.safe_load((EXAMPLES / "sidecar.yaml").read_text())
    pod = snippet["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "scrubber")
    chart = container(one(render(helm, "eu", release="scrubber"), "DaemonSet"))
    assert sidecar["args"] == chart["args"]
    for key in ("readOnlyRootFilesystem", "allowPrivilegeEscalation", "runAsNonRoot", "capabilities"):
        assert sidecar["securityContext"][key] == chart["securityContext"][key], key
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert sidecar[probe]["httpGet"] == {"path": "/", "port": "health"}
    env = {e["name"]: e for e in sidecar["env"]}
    assert env["SCRUBBER_GRPC_ENDPOINT"]["value"].startswith("127.0.0.1:"), "OTLP only from inside the pod"
    chart_env = {e["name"]: e for e in chart["env"]}
    for name, entry in chart_env.items():  # backends and keys as the chart sets them
        if name.startswith(("SCRUBBER_REGIONAL_", "SCRUBBER_GLOBAL_ENDPOINT", "SCRUBBER_KEY_")) and "INSECURE" not in name:
            assert env[name] == entry, name
    config_volume = next(v for v in pod["volumes"] if v["name"] == "scrubber-config")
    assert config_volume["configMap"]["name"] == one(render(helm, "eu", release="scrubber"), "ConfigMap")["metadata"]["name"]
