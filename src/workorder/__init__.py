"""workorder: run an AI coding agent under a strict product-owner loop, with GitHub as the control room."""

__version__ = "0.1.0"


def lazy_face(package: str, homes: dict[str, str]):
    """The ``__getattr__`` of a subpackage's public face: ``from workorder.<package> import X`` imports the
    module ``homes[X]`` of ``package`` on first use and returns its ``X`` (so importing one module never loads
    the others; start-up stays fast). The returned function raises AttributeError for a name not in ``homes``."""
    from importlib import import_module

    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f".{homes[name]}", package), name)

    return __getattr__
