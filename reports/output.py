"""Rendering a run's report in any format, and writing it to a file or stdout."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from reports import FORMAT_NAMES, csv_report, html_report, json_report, junit_report, markdown_report
from reports.model import ReportData, ReportError, load_report

__all__ = ["FORMATS", "ReportError", "load_report", "render", "write_report"]  # re-exported by reports

#: format name -> function rendering a report's data as text
FORMATS: dict[str, Callable[[ReportData], str]] = {
    "html": html_report.render,
    "json": json_report.render,
    "csv": csv_report.render,
    "junit": junit_report.render,
    "markdown": markdown_report.render,
}
assert tuple(FORMATS) == FORMAT_NAMES
#: formats written to a file piece by piece as they render, without the whole text in memory
STREAMS: dict[str, Callable[[ReportData], Iterator[str]]] = {
    "html": html_report.stream,
    "json": json_report.stream,
    "csv": csv_report.stream,
}


def _known(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render(db: sqlite_utils.Database, fmt: str, *, run_id: int | None = None, team: str | None = None,
           data: ReportData | None = None) -> str:
    _known(fmt)
    return FORMATS[fmt](data or load_report(db, run_id, team=team))


def write_report(db: sqlite_utils.Database, fmt: str, output: str | Path, *, run_id: int | None = None,
                 team: str | None = None, data: ReportData | None = None) -> None:
    """Write a report to ``output`` (a path, or ``-`` for stdout); ``data`` if already loaded.
    HTML, JSON and CSV are written as they render."""
    _known(fmt)
    data = data or load_report(db, run_id, team=team)
    pieces = STREAMS[fmt](data) if fmt in STREAMS else [FORMATS[fmt](data)]
    if str(output) == "-":
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    path = Path(output)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for piece in pieces:
            out.write(piece)
    tmp.replace(path)
