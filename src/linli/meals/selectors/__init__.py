"""Meals reads shared by pages, API and (later) the assistant; tenancy scoping lives here. One module per part:
menus, orders, kitchen (production lists, runs), quality."""
