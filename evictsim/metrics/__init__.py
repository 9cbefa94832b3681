"""Metrics: named counters (as Redis INFO names them) and the sampled time series."""
