"""openapi.yaml ← the request models; openapi.yaml → chalicelib/openapi.json (what the API serves).

    python -m infra.openapi            # regenerate: openapi.yaml's generated components, then the JSON
    python -m infra.openapi --check    # change nothing; exit 1 naming what is stale (make package runs it)

openapi.yaml is written by hand (paths, responses, response schemas) except one block at the end
of `components.schemas`, between the two GENERATED markers, which this module writes from code:

* every request body and named type of chalicelib/handlers/schemas.py (pydantic's JSON Schema,
  adapted to the house style of the document: see `adapt`), a component per class or alias;
* `FieldErrorCode`, the enum of the field errors' `code`, from chalicelib/domain/errors.py, and
  `RejectionCode`, why the upload checker refuses a file, from chalicelib/domain/filecheck.py.

Lambda gets only app.py and chalicelib/, and PyYAML is no runtime dependency, so the served
document is the JSON copy. tests/contract/test_openapi.py fails when either file is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "openapi.yaml"
SERVED = ROOT / "chalicelib" / "openapi.json"
COMMAND = "python -m infra.openapi"
MARK = "    # -- GENERATED"
HEADER = (
    f"{MARK} by `{COMMAND}` from the code; never edit this block by hand --------------------",
    "    # request bodies and named types: chalicelib/handlers/schemas.py; FieldErrorCode: domain/errors.py;",
    "    # RejectionCode: domain/filecheck.py. Edit those and run it again (tests/contract fails when stale).",
)
END = "    # -- end of GENERATED --"
REF = "#/components/schemas/{model}"
Schema = dict[str, Any]  # a JSON Schema, or the whole document


def load_spec(path: Path = SOURCE) -> Schema:
    import yaml

    spec: Schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    return spec


def render(spec: Schema) -> str:
    return json.dumps(spec, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


# -- the components, from code ---------------------------------------------------------------
def request_components() -> dict[str, Schema]:
    """Every body model of handlers/schemas.py (and every named type they use) as an OpenAPI
    component, by class name; the models in schemas.INLINE written out where they are used."""
    from pydantic.json_schema import models_json_schema

    from chalicelib.handlers import schemas

    bodies = [
        model
        for model in vars(schemas).values()
        if isinstance(model, type)
        and issubclass(model, schemas.Body)
        and model is not schemas.Body
        and model.__module__ == schemas.__name__
    ]
    _, top = models_json_schema([(m, "validation") for m in bodies], ref_template=REF)
    defs = top["$defs"]
    inline = {m.__name__: defs.pop(m.__name__) for m in schemas.INLINE}
    return {name: adapt(defs[name], inline) for name in sorted(defs)}


def field_error_code() -> Schema:
    from chalicelib.domain.errors import FIELD_CODES

    return _enum(
        FIELD_CODES,
        "What is wrong with the field: stable, part of the contract; clients translate by it and its\n"
        "`params`, never by `message`. A code may be added with a feature: show `message` for one\n"
        "you do not know.\n",
    )


def _enum(meanings: dict[str, str], intro: str) -> Schema:
    """A string enum whose description lists what each value means."""
    lines = "\n".join(f"* `{code}`: {meaning}" for code, meaning in meanings.items())
    return {"type": "string", "enum": list(meanings), "description": f"{intro}\n{lines}\n"}


def rejection_code() -> Schema:
    from chalicelib.domain.filecheck import REJECTIONS

    return _enum(
        REJECTIONS,
        "Why the upload checker refused a file: stable, part of the contract; clients translate by it\n"
        "and `reason_params`, never by `reason`. A code may be added: show `reason` for one you do not know.\n",
    )


def components() -> dict[str, Schema]:
    found = {**request_components(), "FieldErrorCode": field_error_code(), "RejectionCode": rejection_code()}
    return {name: found[name] for name in sorted(found)}


def adapt(schema: Any, inline: dict[str, Schema]) -> Any:
    """pydantic's JSON Schema in the document's style (docs/api.md, "How strict the schemas are"):
    no generated `title`s and no `default: null` (the document has no null value); a nullable
    scalar as a type list (`type: [integer, "null"]`), a nullable `$ref` or enum as
    `anyOf: [{$ref}, {type: "null"}]`; `exclusiveMinimum` of an integer as its `minimum`; the
    INLINE models written out in place of their `$ref`."""
    if isinstance(schema, list):
        return [adapt(s, inline) for s in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    if name in inline:
        return adapt({**inline[name], **{k: v for k, v in schema.items() if k != "$ref"}}, inline)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {prop: adapt(sub, inline) for prop, sub in value.items()}
        else:
            out[key] = adapt(value, inline)
    if out.get("type") == "integer":
        for exclusive, inclusive, step in (("exclusiveMinimum", "minimum", 1), ("exclusiveMaximum", "maximum", -1)):
            if exclusive in out:
                out[inclusive] = out.pop(exclusive) + step
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (other,) = [o for o in options if o != {"type": "null"}]
        if isinstance(other.get("type"), str) and "enum" not in other and "$ref" not in other:
            rest = {k: v for k, v in out.items() if k != "anyOf"}
            out = {**other, **rest, "type": [other["type"], "null"]}
    return _ordered(out)


_FIRST = ("$ref", "type", "format", "additionalProperties", "required", "properties", "items", "anyOf", "enum")
_BOUNDS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern")
_LAST = ("default", "example", "description")


def _ordered(schema: Schema) -> Schema:
    keys = [k for k in (*_FIRST, *_BOUNDS) if k in schema]
    keys += [k for k in schema if k not in keys and k not in _LAST]
    keys += [k for k in _LAST if k in schema]
    if schema.get("type") == "object" and "description" in schema:  # an object says what it is first
        keys.remove("description")
        keys.insert(keys.index("additionalProperties") + 1 if "additionalProperties" in keys else 1, "description")
    return {k: schema[k] for k in keys}


# -- YAML in the document's style --------------------------------------------------------------
WIDTH = 120


def _flow(value: Any) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        """Quotes every string of digits: PyYAML leaves `08` bare (not an int in YAML 1.1), which a
        YAML 1.2 reader (a client generator) reads as the number 8 (the invoice types)."""

    def digits(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'" if data.isdigit() else None)

    Dumper.add_representer(str, digits)
    text: str = yaml.dump(
        value, Dumper=Dumper, default_flow_style=True, width=10**9, sort_keys=False, allow_unicode=True
    )
    return text.removesuffix("\n").removesuffix("\n...")


def _multiline(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" in value
    if isinstance(value, dict):
        return any(_multiline(v) for v in value.values())
    if isinstance(value, list):
        return any(_multiline(v) for v in value)
    return False


def _emit(key: str, value: Any, indent: int) -> list[str]:
    """`key: value` at `indent`: on one line where it fits (flow style), else as a block; the
    properties of an object one per line; a long list of names wrapped."""
    pad = " " * indent
    if isinstance(value, str) and "\n" in value:
        chomp = "|" if value.endswith("\n") and not value.endswith("\n\n") else "|-"
        return [f"{pad}{key}: {chomp}", *[f"{pad}  {line}" if line else "" for line in value.rstrip("\n").split("\n")]]
    one_line = f"{pad}{key}: {_flow(value)}"
    holds_properties = key == "properties" or (isinstance(value, dict) and "properties" in value)
    if not holds_properties and not _multiline(value) and len(one_line) <= WIDTH:
        return [one_line]
    if isinstance(value, dict):
        return [f"{pad}{key}:", *[line for k, v in value.items() for line in _emit(k, v, indent + 2)]]
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        lines, line = [], f"{pad}{key}: ["
        for i, item in enumerate(value):
            word = _flow(item) + (", " if i < len(value) - 1 else "]")
            if len(line) + len(word.rstrip()) > WIDTH:
                lines.append(line.rstrip())
                line = " " * (indent + len(key) + 3)
            line += word
        return [*lines, line]
    if isinstance(value, list):
        return [f"{pad}{key}:", *[f"{pad}  - {_flow(item)}" for item in value]]
    return [one_line]


def block(parts: dict[str, Schema]) -> str:
    """The generated components as lines of openapi.yaml, markers included."""
    import yaml

    lines = list(HEADER)
    for name, schema in parts.items():
        lines += _emit(name, schema, 4)
    text = "\n".join([*lines, END]) + "\n"
    if yaml.safe_load("\n".join(line[4:] for line in lines[len(HEADER) :])) != parts:  # the emitter's own check
        raise AssertionError("the generated YAML does not read back as the components it was made from")
    return text


def regenerate(text: str, parts: dict[str, Schema]) -> str:
    """openapi.yaml's text with its generated block replaced by `parts` (the rest untouched)."""
    start, end = text.find(MARK), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{SOURCE.name}: the GENERATED markers are missing; put them back at the end of components")
    return text[:start] + block(parts) + text[end + len(END) + 1 :]


def hand_written_clashes(text: str, parts: dict[str, Schema]) -> list[str]:
    """Components written by hand under a name the generated block also defines (YAML would
    keep one of the two silently)."""
    import yaml

    start, end = text.find(MARK), text.find(END)
    rest = yaml.safe_load(text[:start] + text[end + len(END) + 1 :])
    return sorted(set(rest["components"]["schemas"]) & set(parts))


def stale(parts: dict[str, Schema] | None = None) -> list[str]:
    """The files that differ from what this module would write (empty when both are current)."""
    parts = components() if parts is None else parts
    text = SOURCE.read_text(encoding="utf-8")
    fresh = regenerate(text, parts)
    out = [str(SOURCE.relative_to(ROOT))] if fresh != text else []
    import yaml

    if SERVED.read_text(encoding="utf-8") != render(yaml.safe_load(fresh)):
        out.append(str(SERVED.relative_to(ROOT)))
    return out


def main(argv: list[str] | None = None) -> int:
    import yaml

    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    parts = components()
    text = SOURCE.read_text(encoding="utf-8")
    clashes = hand_written_clashes(text, parts)
    if clashes:
        print(f"{SOURCE.name}: written by hand and generated from code: {', '.join(clashes)}", file=sys.stderr)
        return 1
    if args.check:
        behind = stale(parts)
        for name in behind:
            print(f"{name} is stale: run `{COMMAND}` (make openapi) and commit the result", file=sys.stderr)
        return 1 if behind else 0
    fresh = regenerate(text, parts)
    if fresh != text:
        SOURCE.write_text(fresh, encoding="utf-8")
        print(SOURCE)
    SERVED.write_text(render(yaml.safe_load(fresh)), encoding="utf-8")
    print(SERVED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
