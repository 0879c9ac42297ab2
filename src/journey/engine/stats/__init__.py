"""Benchmarking and statistics: published DfE benchmarks, confidence intervals, SPC, trajectory.

See docs/statistics.md for the public API and the sources each method follows.
"""
