"""Routing goals to flows: the pure classifier and the Router's activities."""
