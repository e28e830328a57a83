"""Dashboard models: the precomputed counters (added with the aggregates)."""
