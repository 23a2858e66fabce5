"""Connectors: components that end one pipeline and start others (the Collector's
connectors). A connector is listed under `exporters` of the pipelines it
consumes from and under `receivers` of those it feeds; see
`scrubber.component.Factory` for its create signature."""
