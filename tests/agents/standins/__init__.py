"""Scripted local stand-ins for the agents' model APIs, served on 127.0.0.1 for the real agent CLIs."""
