"""The affairs tests' fixtures (shared ones come from the core pytest plugin)."""
