"""Benchmarks. Run `python bench/engine.py --help`."""
