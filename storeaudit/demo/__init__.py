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

__all__ = ["DEMO_DIR", "SITE_DIR", "EXTERNAL_DIR", "GROUND_TRUTH_PATH"]
