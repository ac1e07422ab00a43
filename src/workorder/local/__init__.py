"""A local forge (a JSON file) and the local milestone run, for the CLI loop and the demo."""
