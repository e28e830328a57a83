from django.apps import AppConfig


class SimulateConfig(AppConfig):
    """The synthetic city (`linli simulate city`): composition over every domain, like the sample street."""

    name = "linli.simulate"
    label = "simulate"
    verbose_name = "模拟城市 Synthetic city"
