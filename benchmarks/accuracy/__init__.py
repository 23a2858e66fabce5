"""Accuracy benchmark: our Detector vs Presidio's default AnalyzerEngine on a labeled Faker corpus."""
