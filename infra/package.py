"""`make package`: the deployable template of a stage in build/, offline.

    python -m infra.package [--stage prod] [--out build]

infra/template.yaml is written in YAML for its comments; Chalice would then emit YAML with
anchors and aliases, which CloudFormation does not accept. So the merge template is first
converted (short-form intrinsics such as !Ref resolved by Chalice's own loader) to JSON, and
`chalice package --merge-template` then writes build/sam.json plus build/deployment.zip.

Chalice builds the deployment package from requirements.txt once (pip download: PyPI or the
pip cache) and reuses it from .chalice/deployments/ while requirements.txt is unchanged; the
template itself needs no network and no AWS account.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "template.yaml"


def merge_template_json(source: Path = MERGE_TEMPLATE) -> dict:
    """The merge template as CloudFormation JSON (intrinsics in long form)."""
    from chalice.package import YAMLTemplateSerializer

    return YAMLTemplateSerializer().load_template(source.read_text(encoding="utf-8"), str(source))


def package(stage: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    merged = out / f"merge-template-{stage}.json"
    merged.write_text(json.dumps(merge_template_json(), indent=2), encoding="utf-8")
    env = dict(os.environ)
    # Chalice wants a region to package; the template itself uses ${AWS::Region} everywhere.
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run([str(chalice), "package", "--stage", stage, "--template-format", "json",
                    "--merge-template", str(merged), str(out)], cwd=ROOT, env=env, check=True)
    return out / "sam.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=str(ROOT / "build"))
    args = parser.parse_args(argv)
    print(package(args.stage, Path(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
