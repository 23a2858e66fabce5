"""The running service: pipelines built from config, lifecycle, own telemetry."""
