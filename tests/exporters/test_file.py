"""The `file` exporter: OTLP/JSON lines that read back into equal protobufs; rotation."""

from __future__ import annotations

import asyncio
import json
import struct

from scrubber.exporters.file.config import FileExporterConfig
from scrubber.exporters.file.factory import create_exporter
from scrubber.pdata import Signal, item_count, otlpjson
from scrubber.testing.data import fixture_requests, synthetic_request
from tests.exporters.conftest import make_settings, value


def write_all(config: dict, batches: list) -> object:
    settings = make_settings("file/test")
    exporter = create_exporter(settings, FileExporterConfig.model_validate(config))

    async def scenario():
        await exporter.start(None)
        for signal, request in batches:
            await exporter.consume(signal, request)
        await exporter.shutdown(2)

    asyncio.run(scenario())
    return settings, exporter


def every_signal():
    return [(s, r) for s in Signal for r in (fixture_requests(s) or [synthetic_request(s, 3, str(s))])]


def test_lines_are_otlp_json_that_read_back_equal(tmp_path):
    path = tmp_path / "deep" / "er" / "out.jsonl"  # parent directories are created
    batches = every_signal()
    settings, _ = write_all({"path": str(path)}, batches)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(batches)
    for line, (signal, request) in zip(lines, batches):
        data = json.loads(line)
        assert otlpjson.sniff_signal(data) == signal
        assert otlpjson.loads(signal, line) == request
    spans = sum(item_count(r) for s, r in batches if s == Signal.TRACES)
    assert value(settings, "exporter_sent_spans_total") == spans


def test_ids_are_hex_as_the_collector_writes_them(tmp_path):
    path = tmp_path / "out.jsonl"
    request = synthetic_request(Signal.TRACES, 1)
    write_all({"path": str(path)}, [(Signal.TRACES, request)])
    span = json.loads(path.read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["traceId"] == request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()


def test_rotation_by_size_keeps_every_line_and_prunes_backups(tmp_path):
    path = tmp_path / "otlp.jsonl"
    batches = [(Signal.LOGS, synthetic_request(Signal.LOGS, 1, f"r{i}", payload="x" * 3000)) for i in range(40)]
    rotation = {"max_megabytes": 0.01, "max_backups": 50}  # 10 KiB per file
    write_all({"path": str(path), "rotation": rotation}, batches)
    backups = sorted(tmp_path.glob("otlp-*.jsonl"))
    assert len(backups) >= 10
    assert all(p.stat().st_size <= 10 * 1024 for p in [*backups, path])
    lines = [line for p in [*backups, path] for line in p.read_text().splitlines()]
    assert [otlpjson.loads(Signal.LOGS, line) for line in lines] == [r for _, r in batches]

    write_all({"path": str(path), "rotation": {"max_megabytes": 0.01, "max_backups": 2}}, batches)
    assert len(list(tmp_path.glob("otlp-*.jsonl"))) == 2


def test_append_keeps_and_default_truncates(tmp_path):
    path = tmp_path / "out.jsonl"
    one = [(Signal.METRICS, synthetic_request(Signal.METRICS, 1))]
    write_all({"path": str(path)}, one)
    write_all({"path": str(path), "append": True}, one)
    assert len(path.read_text().splitlines()) == 2
    write_all({"path": str(path)}, one)
    assert len(path.read_text().splitlines()) == 1


def test_proto_format_is_length_prefixed(tmp_path):
    path = tmp_path / "out.pb"
    batches = every_signal()
    write_all({"path": str(path), "format": "proto"}, batches)
    data, offset, got = path.read_bytes(), 0, []
    while offset < len(data):
        (size,) = struct.unpack_from(">I", data, offset)
        got.append(data[offset + 4: offset + 4 + size])
        offset += 4 + size
    assert got == [r.SerializeToString() for _, r in batches]


def test_concurrent_writers_keep_lines_whole(tmp_path):
    path = tmp_path / "out.jsonl"
    settings = make_settings("file/concurrent")
    exporter = create_exporter(settings, FileExporterConfig(path=str(path)))
    requests = [synthetic_request(Signal.TRACES, 2, f"c{i}", payload="y" * 5000) for i in range(50)]

    async def scenario():
        await asyncio.gather(*(exporter.consume(Signal.TRACES, r) for r in requests))
        await exporter.shutdown(2)
        await exporter.shutdown(2)

    asyncio.run(scenario())
    lines = path.read_text().splitlines()
    assert sorted(otlpjson.loads(Signal.TRACES, line).SerializeToString() for line in lines) == sorted(
        r.SerializeToString() for r in requests)
