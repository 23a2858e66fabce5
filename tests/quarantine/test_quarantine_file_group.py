"""`file_group` on the quarantine exporter: the store and every per-signal file (rotations
included) owner-only by default, 0640 / 0750 and given to the group when set; an unknown
group is a config error naming its key path."""

from __future__ import annotations

import asyncio
import logging

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import parse_config
from scrubber.errors import ConfigError
from scrubber.exporters.quarantine.config import QuarantineExporterConfig
from scrubber.exporters.quarantine.exporter import QuarantineExporter
from scrubber.pdata import Signal
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import synthetic_request
from tests.exporters.conftest import group_name, mode_and_gid, open_umask, shareable_group  # noqa: F401 (fixture)


def quarantine_every_signal(store, **config) -> None:
    settings = Settings(ComponentID("quarantine"), Kind.EXPORTER, logging.getLogger("test.quarantine"), Telemetry())
    quarantine = QuarantineExporter(settings, QuarantineExporterConfig(path=str(store), file_megabytes=0.002, **config))

    async def scenario():
        await quarantine.start(None)
        for signal in Signal:
            for i in range(4):
                await quarantine.consume(signal, synthetic_request(signal, 10, f"unknown-{i}"))
        await quarantine.shutdown(2.0)

    asyncio.run(scenario())


@pytest.mark.usefixtures("open_umask")
def test_with_file_group_the_store_is_the_groups(tmp_path):
    gid = shareable_group()
    store = tmp_path / "quarantine"
    quarantine_every_signal(store, file_group=group_name(gid))
    files = sorted(store.iterdir())
    assert {f.name.split("-")[0].split(".")[0] for f in files} == {"traces", "metrics", "logs"}
    assert len(files) > 3, "files were rotated"
    assert {mode_and_gid(f) for f in files} == {(0o640, gid)}
    assert mode_and_gid(store) == (0o750, gid)


@pytest.mark.usefixtures("open_umask")
def test_without_file_group_the_store_is_owner_only(tmp_path):
    store = tmp_path / "quarantine"
    quarantine_every_signal(store)
    assert {mode_and_gid(f)[0] for f in store.iterdir()} == {0o600}
    assert mode_and_gid(store)[0] == 0o700


def test_an_unknown_group_is_a_config_error_naming_its_key_path():
    config = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317"}}}},
        "exporters": {"quarantine/eu": {"path": "data/q", "file_group": "no-such-group-scrubber"}},
        "service": {"pipelines": {"logs": {"receivers": ["otlp"], "exporters": ["quarantine/eu"]}}},
    }
    with pytest.raises(ConfigError) as info:
        parse_config(config)
    assert [e for e in info.value.errors if "file_group" in e] == [
        "exporters::quarantine/eu::file_group: no group 'no-such-group-scrubber' on this host "
        "(give a group name it knows, or a numeric gid)"]


def test_golden_config_has_file_group():
    from pathlib import Path

    import yaml

    golden = yaml.safe_load((Path(__file__).resolve().parents[2] / "scrubber/exporters/quarantine/testdata/config.yaml")
                            .read_text())["exporters"]
    assert QuarantineExporterConfig.model_validate(golden["quarantine"] or {}).file_group is None
    assert QuarantineExporterConfig.model_validate(golden["quarantine/small"]).file_group == 2000
