"""The production copy of the web console: `python -m infra.console_dist --config FILE [--out DIR]`.

Copies console/ into DIR (default build/console/) without what only the local stack may have —
the local sign-in screen (console/js/local/) — and writes the config.json the stack's
`ConsoleConfig` output gives (Cognito sign-in, the API's URL). No build step: the files are
served as they are, but for sw.js, which gets the release it precaches written in (a hash of
the copied files: infra/console_shell.py), so each deploy of changed files is a new release.
Upload DIR under the key prefix console/ of the stack's ConsoleBucket, sw.js last
(docs/console.md, "Production").
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from infra.console_shell import WORKER, service_worker, shipped

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = ROOT / "console"
LOCAL_ONLY = ("js/local",)
REQUIRED = ("auth", "apiBase", "cognito")


def check_config(config: dict[str, Any]) -> dict[str, Any]:
    """A production config.json: Cognito sign-in, an https API, the hosted UI's client."""
    missing = [k for k in REQUIRED if k not in config]
    if missing:
        raise ValueError(f"config.json lacks {', '.join(missing)}")
    if config["auth"] != "cognito":
        raise ValueError("a production console signs in with Cognito (auth: cognito)")
    if not str(config["apiBase"]).startswith("https://"):
        raise ValueError("apiBase must be an https URL")
    for key in ("domain", "clientId", "redirectUri"):
        if not config["cognito"].get(key):
            raise ValueError(f"cognito.{key} is required")
    return config


def build(out: Path, config: dict[str, Any]) -> Path:
    check_config(config)
    if out.exists():
        shutil.rmtree(out)

    def skip(directory: str, names: list[str]) -> list[str]:
        here = Path(directory)
        return [
            n for n in names if (rel := (here / n).relative_to(CONSOLE).as_posix()) in LOCAL_ONLY or not shipped(rel)
        ]

    shutil.copytree(CONSOLE, out, ignore=skip)
    for local in LOCAL_ONLY:
        assert not (out / local).exists(), local
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / WORKER).write_bytes(service_worker(out))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path, help="config.json (the stack's ConsoleConfig output)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "console")
    args = parser.parse_args(argv)
    print(build(args.out, json.loads(args.config.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
