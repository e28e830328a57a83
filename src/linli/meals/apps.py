from django.apps import AppConfig


class MealsConfig(AppConfig):
    name = "linli.meals"
    label = "meals"
    verbose_name = "助餐 Community meals"
