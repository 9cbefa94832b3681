"""Views of a finished run, built from its result files only (``summary.json``, ``timeseries.csv``):
Redis's ``INFO``, ``MEMORY STATS`` and ``MEMORY DOCTOR`` as the simulated server would have answered
them at a simulated time, and Prometheus / OpenMetrics exports with redis_exporter's metric names.
Every field comes from :mod:`evictsim.metrics.registry`; a field evictsim does not model is absent."""
