"""Reports: one formatter per output format, each rendering from the database alone.

The renderers (jinja2, sqlite-utils) load on first use of ``FORMATS``, ``render``,
``write_report`` or ``load_report``: the CLI module imports this package, and each page
worker process imports the CLI module again (multiprocessing's spawn runs ``__main__`` again).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMATS", "FORMAT_NAMES", "ReportError", "load_report", "render", "write_report"]

FORMAT_NAMES = ("html", "json", "csv", "junit", "markdown")


def __getattr__(name: str) -> Any:
    if name in __all__:
        from reports import output

        return getattr(output, name)
    raise AttributeError(f"module 'reports' has no attribute {name!r}")
