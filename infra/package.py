"""`make package`: the deployable template of a stage in build/, offline.

    python -m infra.package [--stage prod] [--out build] [--hold-back-index TABLE.INDEX ...]

infra/template.yaml is written in YAML for its comments; Chalice would then emit YAML with
anchors and aliases, which CloudFormation does not accept. So the merge template is first
converted (short-form intrinsics such as !Ref resolved by Chalice's own loader) to JSON, and
`chalice package --merge-template` then writes build/sam.json plus build/deployment.zip.

Chalice builds the deployment package from requirements.txt once (pip download: PyPI or the
pip cache) and reuses it from .chalice/deployments/ while requirements.txt is unchanged; the
template itself needs no network and no AWS account.

The deployment package then gains bytecode: every `.py` in it gets its
`__pycache__/<name>.cpython-3XX.pyc`, compiled as unchecked-hash (Python uses it without
comparing timestamps, which a zip does not keep exactly). Lambda's /var/task is read-only, so
without it every cold start compiles app.py, chalicelib/ and every vendored library (botocore
included) again before the first request; `make bench` (cold_start) measures the difference.

The report compiler's Lambda layer, `report-fonts.zip` (a subset CJK font for the email's
charts), is built beside the template by infra/fonts.py; the template's ReportFontsLayer
points at it.

`--hold-back-index` leaves a GSI (and the attribute definitions only it used) out of the
template, for upgrading a deployed stack: DynamoDB creates one GSI per table update, so a
CloudFormation update that adds two to a table fails ("Cannot perform more than one GSI creation
or deletion in a single update"). docs/deploying.md gives the sequence.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "template.yaml"


def merge_template_json(source: Path = MERGE_TEMPLATE) -> dict[str, Any]:
    """The merge template as CloudFormation JSON (intrinsics in long form)."""
    from chalice.package import YAMLTemplateSerializer

    template: dict[str, Any] = YAMLTemplateSerializer().load_template(source.read_text(encoding="utf-8"), str(source))
    return template


def hold_back(template: dict[str, Any], indexes: list[str]) -> dict[str, Any]:
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
        used = {k["AttributeName"] for k in props["KeySchema"]} | {
            k["AttributeName"] for g in kept for k in g["KeySchema"]
        }
        props["AttributeDefinitions"] = [a for a in props["AttributeDefinitions"] if a["AttributeName"] in used]
    return template


def package(stage: str, out: Path, hold_back_indexes: list[str] | None = None) -> Path:
    from infra.fonts import build_layer

    out.mkdir(parents=True, exist_ok=True)
    build_layer(out)
    merged = out / f"merge-template-{stage}.json"
    merged.write_text(json.dumps(hold_back(merge_template_json(), hold_back_indexes or []), indent=2), encoding="utf-8")
    env = dict(os.environ)
    # Chalice wants a region to package; the template itself uses ${AWS::Region} everywhere.
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run(
        [
            str(chalice),
            "package",
            "--stage",
            stage,
            "--template-format",
            "json",
            "--merge-template",
            str(merged),
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    template = out / "sam.json"
    check_runtime(json.loads(template.read_text(encoding="utf-8")))
    add_bytecode(out / "deployment.zip")
    return template


#: where Lambda unpacks the package; tracebacks name files there
TASK_ROOT = "/var/task"


def check_runtime(template: dict[str, Any]) -> None:
    """Bytecode is only good for the Python that wrote it: the functions' runtime must be ours
    (Chalice takes it from the interpreter that packages, so this holds unless someone edits it)."""
    ours = f"python{sys.version_info.major}.{sys.version_info.minor}"
    runtimes = {
        r["Properties"]["Runtime"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::Serverless::Function"
    }
    if runtimes - {ours}:
        raise SystemExit(f"the template's runtimes {sorted(runtimes)} are not {ours}: its bytecode would be ignored")


def compile_tree(root: Path) -> None:
    """Write unchecked-hash bytecode for every .py below `root`, naming files as /var/task/…"""
    compileall.compile_dir(
        root,
        quiet=2,
        workers=0,
        stripdir=str(root),
        prependdir=TASK_ROOT,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )


def add_bytecode(package: Path) -> int:
    """Add an unchecked-hash .pyc beside every .py of the zip; returns how many were added.
    Bytecode the zip already holds for those sources (a checkout where Python ran has
    timestamp-checked .pyc files in chalicelib/, and Chalice zips them) is replaced: in Lambda
    its timestamps never match, so it would be compiled again at every cold start. A file that
    does not compile (a template or test data shipped by a library) is left as it is: Python
    would fail on it at import too, and nothing imports it."""
    with tempfile.TemporaryDirectory(prefix="huixiang-bytecode-") as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(package) as zf:
            present = set(zf.namelist())
            sources = [n for n in present if n.endswith(".py")]
            for name in sources:
                zf.extract(name, root)
        compile_tree(root)
        ours = {pyc.relative_to(root).as_posix(): pyc for pyc in sorted(root.rglob("*.pyc"))}
        shipped = present & ours.keys()
        if shipped:
            _drop(package, shipped)
        with zipfile.ZipFile(package, "a", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, pyc in ours.items():
                zf.write(pyc, name)
    return len(ours) - len(shipped)


def _drop(package: Path, names: set[str]) -> None:
    """Rewrite the zip without `names` (each other entry as it was, compression included)."""
    kept = package.with_name(package.name + ".tmp")
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(kept, "w") as dst:
        for info in src.infolist():
            if info.filename not in names:
                dst.writestr(info, src.read(info))
    kept.replace(package)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=str(ROOT / "build"))
    parser.add_argument(
        "--hold-back-index",
        action="append",
        default=[],
        metavar="TABLE.INDEX",
        help="leave this GSI out (an upgrade adds one GSI per table per update), "
        "e.g. CampaignsTable.wait_l3; repeatable",
    )
    args = parser.parse_args(argv)
    print(package(args.stage, Path(args.out), args.hold_back_index))
    return 0


if __name__ == "__main__":
    sys.exit(main())
