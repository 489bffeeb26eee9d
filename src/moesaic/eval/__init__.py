"""Evaluation: metrics, frugality meters, the benchmark registry and runner."""
