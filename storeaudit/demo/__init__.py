"""Bundled demo store ("Hearth & Home") with planted defects, for demos and tests.

``DemoServer`` (in :mod:`storeaudit.demo.server`) serves the static pages in
``site/`` plus a few special routes; ``ground_truth.json`` lists every planted
defect and every planted non-defect.
"""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
SITE_DIR = DEMO_DIR / "site"
EXTERNAL_DIR = DEMO_DIR / "external"
GROUND_TRUTH_PATH = DEMO_DIR / "ground_truth.json"
#: The demo audit's config: a short timeout so the planted slow image times out quickly.
DEMO_CONFIG = DEMO_DIR / "storeaudit.toml"

__all__ = ["DEMO_CONFIG", "DEMO_DIR", "EXTERNAL_DIR", "GROUND_TRUTH_PATH", "SITE_DIR"]
