"""A hand-written viewflow flow of the purchase case's shape, the baseline for bench/engine.py."""
