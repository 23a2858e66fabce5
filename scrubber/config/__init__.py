"""Configuration: the Collector's YAML shape, loaded and validated strictly."""
