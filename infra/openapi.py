"""openapi.yaml (the hand-written contract) → chalicelib/openapi.json (what the API serves).

    python -m infra.openapi          # rewrite chalicelib/openapi.json

Lambda gets only app.py and chalicelib/, and PyYAML is no runtime dependency, so the served
document is this JSON copy; tests/contract/test_openapi.py fails when it is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "openapi.yaml"
SERVED = ROOT / "chalicelib" / "openapi.json"


def load_spec(path: Path = SOURCE) -> dict[str, Any]:
    import yaml

    spec: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return spec


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> int:
    SERVED.write_text(render(load_spec()), encoding="utf-8")
    print(SERVED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
