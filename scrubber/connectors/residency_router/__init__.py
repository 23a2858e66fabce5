"""The `residency_router` connector: splits requests by jurisdiction and routes them per policy."""
