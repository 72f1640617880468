"""Outer middlewares: update de-duplication, the customer record and its language."""
