"""Event handlers: one small module per reaction, registered in :mod:`workorder.handlers.router`."""
