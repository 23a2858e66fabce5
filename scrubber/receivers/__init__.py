"""Receivers: the components that take telemetry in from the network.

Each receiver lives in its own package (`scrubber.receivers.<type>`) and is
registered as an entry point in the `scrubber.receivers` group.
"""
