"""Benchmarks: accuracy (benchmarks.accuracy) and throughput."""
