"""The `pii` processor: finds personal data in telemetry and pseudonymizes it per jurisdiction."""
