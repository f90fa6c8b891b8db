"""Run the checkout flows of an audit after its crawl and store every step.

Which products: the add-to-basket forms the crawl recorded (``flow_candidates``) on pages
that say they are in stock; one product per distinct product-page template first (a broken
template breaks every product made from it), then further products, at most
``flows.max_flows`` in all. Then the flows declared in the config. Each flow gets a fresh :class:`~storeaudit.flows.walker.Walker`
(its own cookie jar); the flow checks judge the stored steps afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import sqlite_utils

from config import Config
from storeaudit.flows.declared import walk_declared
from storeaudit.flows.discovered import Candidate, walk_product
from storeaudit.flows.safety import StopPolicy
from storeaudit.flows.walker import Step, StepFailed, Walker

__all__ = ["FLOW_USER_AGENT_SUFFIX", "policy_of", "run_flows", "sample"]

logger = logging.getLogger(__name__)

#: Appended to the crawl's User-Agent so a store can tell flow traffic (abandoned baskets) apart.
FLOW_USER_AGENT_SUFFIX = " checkout-flow"


def policy_of(config: Config) -> StopPolicy:
    return StopPolicy(patterns=tuple(config["flows.stop_patterns"]), hosts=tuple(config["flows.stop_hosts"]))


def sample(db: sqlite_utils.Database, run_id: int, limit: int) -> list[Candidate]:
    """One in-stock product per template first, then more, ``limit`` in all (stable order)."""
    rows = list(db.query(
        "select page, action, button, template from flow_candidates where run_id = :run and in_stock = 1 "
        "group by page order by page", {"run": run_id}))
    first_of_template: dict[str, dict] = {}
    for row in rows:
        first_of_template.setdefault(row["template"], row)
    picked = list(first_of_template.values())
    picked += [r for r in rows if r not in picked]
    return [Candidate(page=r["page"], action=r["action"], button=r["button"]) for r in picked[:limit]]


def run_flows(db: sqlite_utils.Database, run_id: int, config: Config, *,
              site_hosts: frozenset[str] = frozenset()) -> int:
    """Walk the sampled flows and store them; returns how many ran."""
    if not config["flows.enabled"]:
        return 0
    policy = policy_of(config)
    options = dict(policy=policy, user_agent=config["crawl.user_agent"] + FLOW_USER_AGENT_SUFFIX,
                   timeout=config["crawl.timeout"], max_redirects=config["crawl.max_redirects"],
                   site_hosts=frozenset(site_hosts), check_external=config["crawl.check_external"])
    start_url = db.execute("select start_url from runs where id = ?", [run_id]).fetchone()[0]
    candidates = sample(db, run_id, config["flows.max_flows"])
    for n, candidate in enumerate(candidates, 1):
        _run_one(db, run_id, f"product-{n}", kind="discovered", page=candidate.page,
                 name=f"product → basket → checkout for {candidate.page}", options=options,
                 walk=lambda walker, c=candidate: walk_product(walker, c), done="reached-checkout")
    for n, flow in enumerate(config.declared_flows, 1):
        _run_one(db, run_id, f"declared-{n}", kind="declared", page=urljoin(start_url, flow.start), name=flow.name,
                 options=options, walk=lambda walker, f=flow: walk_declared(walker, f, start_url), done="completed")
    return len(candidates) + len(config.declared_flows)


def _run_one(db: sqlite_utils.Database, run_id: int, flow: str, *, kind: str, page: str, name: str,
             options: dict[str, Any], walk: Callable[[Walker], None], done: str) -> None:
    with Walker(**options) as walker:
        outcome, message = done, ""
        try:
            walk(walker)
        except StepFailed as exc:
            outcome, message = "failed", str(exc)
        except Exception as exc:  # a bug in one flow must cost that flow, not the audit
            logger.exception("checkout flow %s failed", name)
            outcome, message = "error", f"{type(exc).__name__}: {exc}"
        save_flow(db, run_id, flow, kind=kind, page=page, name=name, outcome=outcome, message=message,
                  steps=walker.steps)


def save_flow(db: sqlite_utils.Database, run_id: int, flow: str, *, kind: str, page: str, name: str,
              outcome: str, message: str, steps: list[Step]) -> None:
    if outcome == "failed" and any(s.failure == "refused" for s in steps):
        outcome = "refused"
    with db.conn:
        db["flows"].insert({"run_id": run_id, "flow": flow, "kind": kind, "page": page, "name": name,
                            "outcome": outcome, "message": message}, replace=True)
        db["flow_steps"].insert_all(({
            "run_id": run_id, "flow": flow, "step": i, "name": s.name, "url": s.url, "method": s.method,
            "status": s.status, "elapsed_ms": s.elapsed_ms, "assertion": s.assertion, "ok": int(s.ok),
            "failure": s.failure, "detail": s.detail,
        } for i, s in enumerate(steps, 1)), replace=True)
