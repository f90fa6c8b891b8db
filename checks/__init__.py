"""Every check storeaudit runs, registered by code in :mod:`checks.registry`.

Importing this package registers all checks; add a new module to ``_MODULES``.
"""

from importlib import import_module

from checks.registry import REGISTRY, Check, Finding

__all__ = ["REGISTRY", "Check", "Finding"]

_MODULES = ("links", "images", "stale", "readability", "errors", "quality", "promotions", "flows", "structure", "site_structure",
            "store_data")

for _name in _MODULES:
    import_module(f"checks.{_name}")
