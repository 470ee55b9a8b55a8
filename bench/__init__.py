"""Benchmarks with their seed data generators. Run ``python -m bench --help``."""
