"""Limits and parsers for input from outside (payloads, YAML, globs): bounded, bounded_int, yamlload, problems, globs.

Docstring only: the route step (``python3 -B -E -S -m workorder.handlers.route``) imports
``inputs.bounded_int``, so importing this package must pull in nothing outside the standard library.
"""
