"""JUnit XML: a test case per check and team, so CI systems list defects like failing tests.

A test suite per team; in it one test case per registered check, failing when the check found
defects for that team, its failure text listing every defect and the pages it shows on.
Ignored findings are left out (they are accepted); the suite's properties count them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from checks.registry import REGISTRY
from reports.model import Group, ReportData

__all__ = ["render"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # crawled text may hold these

MAX_PAGES = 50  # per defect in the failure text; every instance is in the JSON and CSV output


def _failure_text(groups: list[Group]) -> str:
    lines = []
    for g in groups:
        subject = g.target or g.message
        lines.append(f"[{g.severity}] {subject} ({g.pages} page{'s' if g.pages != 1 else ''}"
                     f"{', template' if g.template else ''}{', new' if g.new else ''})")
        for i in g.first(MAX_PAGES):
            ev = i.evidence
            text = ev.get("text") or ev.get("quote") or ""
            lines.append(f"    {i.page}" + (f"  \"{text}\"" if text else "") + f"  [{i.fingerprint}]")
        if g.count > MAX_PAGES:
            lines.append(f"    ... and {g.count - MAX_PAGES} more")
    return "\n".join(lines)


def render(data: ReportData) -> str:
    by_key: dict[tuple[str, str], list[Group]] = defaultdict(list)
    for g in data.groups:
        by_key[(g.team, g.code)].append(g)
    run = data.run
    root = ET.Element("testsuites", name=f"storeaudit run {run['id']}")
    total = failures = 0
    for team in data.teams:
        suite = ET.SubElement(root, "testsuite", name=f"storeaudit.{team}", timestamp=run.get("started_at") or "")
        props = ET.SubElement(suite, "properties")
        for name, value in (("run", run["id"]), ("start_url", run.get("start_url", "")),
                            ("status", run.get("status", "")),
                            ("ignored", sum(g.count for g in data.ignored if g.team == team))):
            ET.SubElement(props, "property", name=name, value=str(value))
        n = failed = 0
        for check in REGISTRY.values():
            groups = by_key.get((team, check.code), [])
            case = ET.SubElement(suite, "testcase", classname=f"storeaudit.{team}.{check.category}",
                                 name=f"{check.code} {check.title}")
            n += 1
            if groups:
                failed += 1
                pages = len({i.page for g in groups for i in g.each()})
                worst = max(groups, key=lambda g: g.weight).severity
                failure = ET.SubElement(case, "failure", type=worst,
                                        message=f"{len(groups)} defect{'s' if len(groups) != 1 else ''} "
                                                f"on {pages} page{'s' if pages != 1 else ''}: {check.fix}")
                failure.text = _NOT_XML.sub("\ufffd", _failure_text(groups))
        suite.set("tests", str(n))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total += n
        failures += failed
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
