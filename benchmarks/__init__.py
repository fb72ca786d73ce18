"""Benchmarks against the design's quality bar; run them with `make bench` (see run.py)."""
