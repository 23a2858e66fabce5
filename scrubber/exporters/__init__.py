"""Exporters: the last consumer of a pipeline.

`otlp` and `otlphttp` send to an OTLP backend through one shared sending queue
and retry sender (`exporterhelper`); `file` writes OTLP/JSON lines; `debug`
logs counts. Each exporter instance is shared by every pipeline that lists its
id, whatever the signal, so none of them keeps per-signal copies of its logic.
"""
