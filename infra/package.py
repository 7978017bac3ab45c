"""`make package`: the deployable template of a stage in build/, offline.

    python -m infra.package [--stage prod] [--out build] [--hold-back-index TABLE.INDEX ...]

infra/template.yaml is written in YAML for its comments; Chalice would then emit YAML with
anchors and aliases, which CloudFormation does not accept. So the merge template is first
converted (short-form intrinsics such as !Ref resolved by Chalice's own loader) to JSON, and
`chalice package --merge-template` then writes build/sam.json plus build/deployment.zip.

Chalice builds the deployment package from requirements.txt once (pip download: PyPI or the
pip cache) and reuses it from .chalice/deployments/ while requirements.txt is unchanged; the
template itself needs no network and no AWS account.

`--hold-back-index` leaves a GSI (and the attribute definitions only it used) out of the
template, for upgrading a deployed stack: DynamoDB creates one GSI per table update, so a
CloudFormation update that adds two to a table fails ("Cannot perform more than one GSI creation
or deletion in a single update"). docs/deploying.md gives the sequence.
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


def hold_back(template: dict, indexes: list[str]) -> dict:
    """The template without the GSIs named `Table.index` (logical id of the table, index name),
    and without attribute definitions no remaining key uses (CloudFormation refuses those)."""
    resources = template["Resources"]
    for spec in indexes:
        table, _, name = spec.partition(".")
        props = resources.get(table, {}).get("Properties", {})
        kept = [g for g in props.get("GlobalSecondaryIndexes", []) if g["IndexName"] != name]
        if len(kept) == len(props.get("GlobalSecondaryIndexes", [])):
            raise SystemExit(f"--hold-back-index {spec}: {table} has no index {name!r}")
        props["GlobalSecondaryIndexes"] = kept
        used = {k["AttributeName"] for k in props["KeySchema"]} | \
            {k["AttributeName"] for g in kept for k in g["KeySchema"]}
        props["AttributeDefinitions"] = [a for a in props["AttributeDefinitions"] if a["AttributeName"] in used]
    return template


def package(stage: str, out: Path, hold_back_indexes: list[str] | None = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    merged = out / f"merge-template-{stage}.json"
    merged.write_text(json.dumps(hold_back(merge_template_json(), hold_back_indexes or []), indent=2),
                      encoding="utf-8")
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
    parser.add_argument("--hold-back-index", action="append", default=[], metavar="TABLE.INDEX",
                        help="leave this GSI out (an upgrade adds one GSI per table per update), "
                             "e.g. CampaignsTable.wait_l3; repeatable")
    args = parser.parse_args(argv)
    print(package(args.stage, Path(args.out), args.hold_back_index))
    return 0


if __name__ == "__main__":
    sys.exit(main())
