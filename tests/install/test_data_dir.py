"""The embedded default and its one data setting, in process (fast; the installed program is
exercised in test_wheel.py): everything the default config writes is under `--data-dir` /
SCRUBBER_DATA_DIR, and keys are generated only when allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrubber import cli
from scrubber.component import Kind
from scrubber.config.loader import load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SCRUBBER_DATA_DIR", raising=False)  # cli sets it; monkeypatch restores it
    monkeypatch.delenv("SCRUBBER_GENERATE_KEYS", raising=False)
    monkeypatch.chdir(tmp_path)


def written_paths(config) -> list[str]:
    """Every file or directory path the config's exporters and key sources name."""
    paths = [entry.config.path for entry in config.components[Kind.EXPORTER].values() if hasattr(entry.config, "path")]
    raw = config.raw["processors"]
    for body in raw.values():
        for ring in ((body or {}).get("keys") or {}).values():
            paths.extend(source["file"] for source in ring["keys"].values() if "file" in source)
    return paths


def test_the_packaged_default_is_the_checkout_default_and_is_printed(capsys):
    packaged = cli.embedded_default()
    assert packaged.is_file() and packaged.parent.name == "config" and packaged.parent.parent.name == "scrubber"
    assert (ROOT / "config" / "default.yaml").resolve() == packaged.resolve(), "one source of truth"
    assert cli.main(["default-config"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == yaml.safe_load(packaged.read_text())


def test_data_dir_flag_moves_every_written_path(tmp_path, capsys):
    data = tmp_path / "elsewhere"
    assert cli.main(["validate", "--data-dir", str(data)]) == 0
    assert "embedded default config: valid" in capsys.readouterr().out
    paths = written_paths(load_config(cli.embedded_default()))
    assert len(paths) >= 14 and all(p.startswith(str(data) + "/") for p in paths), paths


def test_without_a_setting_it_writes_under_data_in_the_working_folder(monkeypatch):
    paths = written_paths(load_config(cli.embedded_default()))
    assert all(p.startswith("data/") for p in paths), paths


def test_keys_are_not_generated_when_forbidden(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCRUBBER_GENERATE_KEYS", "false")
    data = tmp_path / "volume"
    assert cli.main(["validate", "--data-dir", str(data)]) == 1
    errors = capsys.readouterr().err
    assert f"key file {data}/keys/eu.key does not exist" in errors
    assert not data.exists()
