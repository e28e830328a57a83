"""The project's shared fixtures are a pytest plugin in core (`linli.core.testing.plugin`); each domain's own are
in its `tests/conftest.py`. Test data: each domain's `tests/factories*.py`."""

pytest_plugins = ["linli.core.testing.plugin"]
