"""Generators of benign synthetic data for the demo, the tests and the benchmarks.

Everything here is procedurally drawn shapes and neutral text that only discloses made-up
identifiers. Nothing is fetched; nothing depicts a person.
"""
