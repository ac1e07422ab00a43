"""A tiny calculator."""
