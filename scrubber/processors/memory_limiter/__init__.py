"""The `memory_limiter` processor."""
