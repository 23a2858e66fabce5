"""The `egress_guard` processor: nothing personal leaves for a global exporter."""
