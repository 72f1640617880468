"""The Telegram edge: routers, keyboards, filters, middlewares and texts."""
