"""workorder: run an AI coding agent under a strict product-owner loop, with GitHub as the control room."""

__version__ = "0.1.0"
