"""Pluggable processors, one folder per processor type."""
