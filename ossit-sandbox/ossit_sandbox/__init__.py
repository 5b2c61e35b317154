"""A local, API-compatible Ossit server for tests, benchmarks and the quick start."""
