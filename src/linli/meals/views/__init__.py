"""Meals pages, one module per audience: resident, kitchen, rider, quality (supervisors) and street staff.
Each module has its own `urlpatterns`, included by `linli.meals.urls`."""
