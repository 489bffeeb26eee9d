"""Benchmark suites, one module per family; each registers itself with ``register_suite``."""
