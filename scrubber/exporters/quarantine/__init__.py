"""The `quarantine` exporter: unknown-jurisdiction data, kept local and bounded, never sent on."""
