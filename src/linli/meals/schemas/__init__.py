"""API schemas for meals, one module per area like the API's routers: `menus` (menus and kitchens, shared
references), `orders` (orders, the bill, the wallet), `kitchen` (production, delivery runs, collection), `quality`.
Times are ISO 8601 strings in Shanghai time; money is integer fen. Request bodies are checked here once, with the
services' own limits, and reach the services as typed arguments."""
