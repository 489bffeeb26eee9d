"""Readers of the public data sets, one module each; every module defines ``INFO: DatasetInfo``."""
