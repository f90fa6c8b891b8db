"""SQL helpers shared by the crawl and the site checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

__all__ = ["IN_CHUNK", "select_in"]

#: Values bound in one ``IN (...)`` list, well under SQLite's limit on bound parameters
#: (999 before SQLite 3.32).
IN_CHUNK = 500


def select_in(execute: Callable[..., Iterable[tuple[Any, ...]]], sql: str, values: Sequence[Any],
              params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` for every one of ``values``, whose ``{marks}`` is the placeholder
    list of an ``IN``: one statement per ``IN_CHUNK`` values, ``params`` bound before them."""
    for i in range(0, len(values), IN_CHUNK):
        chunk = values[i:i + IN_CHUNK]
        yield from execute(sql.format(marks=",".join("?" * len(chunk))), [*params, *chunk])
