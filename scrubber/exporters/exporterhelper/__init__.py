"""What the queued exporters share: config models, the sending queue, the retry
sender and the exporter's own metrics (the Collector's `exporterhelper`)."""

from scrubber.exporters.exporterhelper.config import (
    Compression,
    QueueConfig,
    RetryConfig,
    SenderConfig,
    TLSClientConfig,
)
from scrubber.exporters.exporterhelper.exporter import Client, QueuedExporter
from scrubber.exporters.exporterhelper.metrics import ExporterMetrics
from scrubber.exporters.exporterhelper.queue import FileStorage, QueueItem, SendingQueue
from scrubber.exporters.exporterhelper.retry import Backoff, SendFailed, send_with_retry

__all__ = [
    "Backoff",
    "Client",
    "Compression",
    "ExporterMetrics",
    "FileStorage",
    "QueueConfig",
    "QueueItem",
    "QueuedExporter",
    "RetryConfig",
    "SendFailed",
    "SenderConfig",
    "SendingQueue",
    "TLSClientConfig",
    "send_with_retry",
]
