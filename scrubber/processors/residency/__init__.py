"""The `residency` processor: stamps every item with its jurisdiction."""
