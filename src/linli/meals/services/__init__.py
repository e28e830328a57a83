"""Meals services, one module per part of the loop: menus (and the CSV import), pricing, wallet, orders,
kitchen (cut-off, production lists, labels), delivery (runs, hand-over, collection) and quality (ratings,
inspections, tasting panels, food waste). Every write is a function `<entity>_<verb>(*, ...)`."""
