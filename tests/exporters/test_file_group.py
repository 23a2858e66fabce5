"""`file_group` on the file exporter: data files 0600 by default, 0640 and given to the group
when set (rotated files too, an existing file taken over), whatever the umask; a group the
host does not know is a config error naming its key path; a group this process may not give
files to stops `scrubber run` with a clear line."""

from __future__ import annotations

import asyncio
import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from scrubber.config.loader import parse_config
from scrubber.errors import ConfigError
from scrubber.exporters.file.config import FileExporterConfig
from scrubber.exporters.file.factory import create_exporter
from scrubber.files import GROUP_FILE_MODE, PRIVATE_FILE_MODE
from scrubber.pdata import Signal
from scrubber.testing.data import synthetic_request
from tests.exporters.conftest import group_name, make_settings, mode_and_gid, shareable_group
from tests.support.process import free_port


def export(config: dict, batches: int = 1) -> None:
    exporter = create_exporter(make_settings("file/group"), FileExporterConfig.model_validate(config))

    async def scenario():
        await exporter.start(None)
        for i in range(batches):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 20, f"batch-{i}"))
        await exporter.shutdown(2)

    asyncio.run(scenario())


def test_with_file_group_data_files_and_rotations_are_0640_of_that_group(tmp_path, open_umask):
    gid = shareable_group()
    path = tmp_path / "regional" / "eu" / "traces.jsonl"
    export({"path": str(path), "file_group": group_name(gid), "rotation": {"max_megabytes": 0.002}}, batches=6)
    files = sorted(path.parent.iterdir())
    assert len(files) > 1, "rotation happened"
    assert {mode_and_gid(f) for f in files} == {(GROUP_FILE_MODE, gid)}
    # the directories it created are the group's too, so that the group can reach the files
    assert mode_and_gid(path.parent) == (0o750, gid)
    assert mode_and_gid(path.parent.parent) == (0o750, gid)


def test_a_numeric_gid_is_taken_as_is(tmp_path):
    gid = shareable_group()
    path = tmp_path / "out.jsonl"
    export({"path": str(path), "file_group": str(gid)})
    assert mode_and_gid(path) == (GROUP_FILE_MODE, gid)


def test_without_file_group_data_files_stay_owner_only(tmp_path, open_umask):
    path = tmp_path / "regional" / "traces.jsonl"
    export({"path": str(path)})
    assert mode_and_gid(path)[0] == PRIVATE_FILE_MODE
    assert mode_and_gid(path.parent)[0] == 0o700


def test_an_existing_file_is_taken_over_by_the_group(tmp_path):
    gid = shareable_group()
    path = tmp_path / "traces.jsonl"
    path.write_bytes(b"old\n")
    path.chmod(0o644)
    export({"path": str(path), "file_group": gid, "append": True})
    assert mode_and_gid(path) == (GROUP_FILE_MODE, gid)
    assert path.read_bytes().startswith(b"old\n")


def config_with(file_group) -> dict:
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317"}}}},
        "exporters": {"file": {"path": "data/out.jsonl", "file_group": file_group}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["file"]}}},
    }


def test_an_unknown_group_is_a_config_error_naming_its_key_path():
    with pytest.raises(ConfigError) as info:
        parse_config(config_with("no-such-group-scrubber"))
    assert info.value.errors == ["exporters::file::file_group: no group 'no-such-group-scrubber' on this host "
                                 "(give a group name it knows, or a numeric gid)"]


@pytest.mark.parametrize("value", [True, -1, "", ["adm"]])
def test_a_file_group_that_is_no_name_or_gid_is_refused(value):
    with pytest.raises(ConfigError) as info:
        parse_config(config_with(value))
    assert len(info.value.errors) == 1 and info.value.errors[0].startswith("exporters::file::file_group:")


#: a child `scrubber run` that, started as root, imports what it needs and then drops to another
#: user, as an entrypoint (gosu, runuser) does: the interpreter itself may not be readable by it
AS_OUTSIDER = """
import os, sys
import scrubber.cli, scrubber.service.logs, scrubber.service.run
import scrubber.exporters.file.factory, scrubber.receivers.otlp.factory
uid, gid = int(sys.argv[1]), int(sys.argv[2])
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
sys.exit(scrubber.cli.main(sys.argv[3:]))
"""


def _outsider() -> tuple[int, int, int]:
    """(uid, gid) of a user to run as, and a group that user is not in: as root, nobody and
    root's group; otherwise this user and a group it is not in."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, 0
    mine = {os.getegid(), *os.getgroups()}
    return os.geteuid(), os.getegid(), next(gid for gid in range(1, 65534) if gid not in mine)


@pytest.fixture
def shared_workdir():
    """A directory the other user can reach and write (pytest's tmp_path is root's alone)."""
    with tempfile.TemporaryDirectory(prefix="scrubber-file-group-") as top:
        os.chmod(top, 0o755)
        workdir = Path(top) / "work"
        workdir.mkdir()
        workdir.chmod(0o777)
        yield workdir


def test_a_group_the_process_cannot_give_files_to_stops_run_with_a_clear_line(shared_workdir):
    uid, user_gid, gid = _outsider()
    workdir = shared_workdir
    config = workdir / "scrubber.yaml"
    port = free_port()
    config.write_text(f"""
receivers: {{otlp: {{protocols: {{grpc: {{endpoint: "127.0.0.1:{port}"}}}}}}}}
exporters: {{file: {{path: {workdir / 'data' / 'out.jsonl'}, file_group: {gid}}}}}
service:
  telemetry: {{metrics: {{level: none}}}}
  pipelines: {{traces: {{receivers: [otlp], exporters: [file]}}}}
""")
    config.chmod(0o644)
    result = subprocess.run([sys.executable, "-c", AS_OUTSIDER, str(uid), str(user_gid), "run", "--config", str(config)],
                            cwd=workdir, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "cannot start: exporters::file::file_group:" in result.stderr
    assert f"not a member of group {gid}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (workdir / "data").exists(), "nothing was written before the refusal"
