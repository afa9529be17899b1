"""Benchmarks, run as scripts; a package so that the test suite can share the fault matrix."""
