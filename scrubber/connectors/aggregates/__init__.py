"""The `aggregates` connector: span/log-derived and re-aggregated app metrics for the global stack."""
