"""Benchmarks: one module per workload area, each with ``run(size) -> list[dict]``.

``python -m benchmarks`` runs them all and prints one JSON line per workload with its figure,
the floor measured in the same run, their ratio and the goal. Speed and memory are measured
here, never asserted in the tests.
"""
