"""Comparative benchmark: the same workload through the same API on every backend."""
