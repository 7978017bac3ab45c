"""Errors speak codes: every code the server can answer is registered (domain/errors.py,
domain/filecheck.py), no field error leaves without one, and the console translates every one
of them in every language it has, by code, never by matching the English message."""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest

from chalicelib.domain.errors import ERROR_CODES, FIELD_CODES, WARNING_CODES
from chalicelib.domain.filecheck import REJECTIONS

ROOT = Path(__file__).resolve().parents[2]
SERVER = [*sorted((ROOT / "chalicelib").rglob("*.py")), ROOT / "devstack" / "console.py"]


# -- every code in the source is registered ------------------------------------------------------
def _literals(node: ast.expr) -> list[str] | None:
    """The strings an argument can be: a literal, or either side of `a if c else b`; None for
    anything computed (its literal is then at a call site, which the scan also reads)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        sides = [_literals(node.body), _literals(node.orelse)]
        return None if None in sides else [s for side in sides for s in side or ()]
    return None


def _callee(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Attribute):
        owner = (
            f.value.id if isinstance(f.value, ast.Name) else f.value.attr if isinstance(f.value, ast.Attribute) else ""
        )
        return f"{owner}.{f.attr}"
    return f.id if isinstance(f, ast.Name) else ""


@functools.cache  # three tests read it: parsing every module of the server once is enough
def codes_in_source() -> dict[str, dict[str, list[str]]]:
    """{kind: {code: [where …]}} for the three kinds of code, read from the server's source:
    `code="…"` and `code = "…"` and `{"code": "…"}` are error codes; the code argument of
    field_error / InvalidInput.field / above / PydanticCustomError is a field code, and so are
    the code of an invoice's field rule and refusal (domain/invoices.py: FieldRule, _refusal);
    that of filecheck.Rejected a rejection code."""
    found: dict[str, dict[str, list[str]]] = {"error": {}, "field": {}, "rejection": {}}

    def add(kind: str, values: list[str] | None, where: str) -> None:
        for value in values or ():
            found[kind].setdefault(value, []).append(where)

    for path in SERVER:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                callee = _callee(node)
                for kw in node.keywords:
                    if kw.arg == "code":
                        add("error", _literals(kw.value), where)
                if callee in ("field_error", "InvalidInput.field", "above") and len(node.args) >= 2:
                    add("field", _literals(node.args[1]), where)
                if callee == "PydanticCustomError" and node.args:
                    add("field", _literals(node.args[0]), where)
                if callee == "FieldRule" and len(node.args) >= 2:
                    add("field", _literals(node.args[1]), where)
                if callee == "_refusal" and len(node.args) >= 3:
                    add("field", _literals(node.args[2]), where)
                if callee in ("Rejected", "filecheck.Rejected") and node.args:
                    add("rejection", _literals(node.args[0]), where)
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                add("error", _literals(node.value), where)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code" and value is not None:
                        add("error", _literals(value), where)
    return found


def test_the_source_scan_sees_the_codes_it_must():
    """The scan reads what it claims to (else the next test could pass by finding nothing)."""
    found = codes_in_source()
    assert {"budget_exceeded", "self_approval", "not_editable", "not_ready", "forbidden"} <= set(found["error"])
    assert {"above_requested", "not_a_date", "too_small", "bad_cursor", "approver_not_higher"} <= set(found["field"])
    assert {"bad_invoice_code", "bad_invoice_number", "bad_check_code", "unknown_invoice_type"} <= set(found["field"])
    assert {"polyglot", "larger_than_declared", "zip_bomb"} <= set(found["rejection"])


def test_every_code_the_server_can_answer_is_registered():
    from chalicelib.handlers.api import _CHALICE_CODES, PYDANTIC_CODES

    found = codes_in_source()
    errors = {**found["error"], **{c: ["handlers/api.py: _CHALICE_CODES"] for c in _CHALICE_CODES.values()}}
    fields = {**found["field"], **{c: ["handlers/api.py: PYDANTIC_CODES"] for c, _ in PYDANTIC_CODES.values()}}
    unknown = {c: w for c, w in errors.items() if c not in ERROR_CODES and c not in WARNING_CODES}
    assert unknown == {}, "add them to domain/errors.py: ERROR_CODES"
    assert {c: w for c, w in fields.items() if c not in FIELD_CODES} == {}, "add them to domain/errors.py: FIELD_CODES"
    assert {c: w for c, w in found["rejection"].items() if c not in REJECTIONS} == {}, "add them to REJECTIONS"


def test_every_registered_code_is_answered_somewhere():
    """A registered code nothing raises is a promise to clients that means nothing."""
    from chalicelib.handlers.api import _CHALICE_CODES, PYDANTIC_CODES

    found = codes_in_source()
    raised = set(found["error"]) | set(_CHALICE_CODES.values()) | {"error"}  # DomainError's own default
    assert set(ERROR_CODES) - raised == set()
    assert set(WARNING_CODES) - raised == set()
    assert set(FIELD_CODES) - set(found["field"]) - {c for c, _ in PYDANTIC_CODES.values()} - {"invalid"} == set()
    assert set(REJECTIONS) - set(found["rejection"]) == set()


def test_the_reference_names_every_code():
    """docs/api.md lists every error code and every field code a client may meet."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [code for code in [*ERROR_CODES, *FIELD_CODES] if f"`{code}`" not in text]
    assert missing == [], "add them to docs/api.md, Errors"


# -- no field error leaves without a code ----------------------------------------------------------
class _Request:
    def __init__(self, raw: str | bytes) -> None:
        self.raw_body = raw.encode() if isinstance(raw, str) else raw
        self.query_params: dict[str, str] = {}
        self.headers: dict[str, str] = {}


def _refusal(model, raw: str | bytes) -> list[dict]:
    """The field errors `ApiRequest.body` answers for `raw`, as a client receives them."""
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.handlers.api import ApiRequest, error_response

    try:
        ApiRequest(_Request(raw), None).body(model)
    except InvalidInput as e:
        body = json.loads(json.dumps(error_response(e).body))
        assert body["code"] == "validation_error"
        return body["errors"]
    return []


# values of every JSON type and of every size and shape that the bodies' fields refuse
HOSTILE = [
    None,
    True,
    0,
    -5,
    1.5,
    10**20,
    -(10**20),
    "",
    "   ",
    "x" * 6000,
    "bad\x01text",
    "2026-02-30",
    "2026-13",
    "a b/c",
    "CN//X",
    "nope",
    [],
    [1, "a"],
    [{"x": 1}] * 11,
    {},
    {"unknown": 1},
]


def _bodies():
    from chalicelib.handlers import schemas

    for name, model in sorted(vars(schemas).items()):
        if isinstance(model, type) and issubclass(model, schemas.Body) and model is not schemas.Body:
            fields = [info.alias or f for f, info in model.model_fields.items()]
            for value in HOSTILE:
                yield name, model, {f: value for f in fields} | {"not_a_field": value}
                for f in fields:  # one field at fault, nested objects holding every hostile value
                    yield name, model, {f: {g: value for g in ("id", "lat", "lon", "up_to", "approver", f)}}


@pytest.mark.parametrize("name,model,body", list(_bodies()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_field_error_of_a_hostile_body_has_a_code_of_its_own(name, model, body):
    errors = _refusal(model, json.dumps(body))
    assert errors, body
    for e in errors:
        assert e["code"] in FIELD_CODES and e["code"] != "invalid", (name, e)
        assert isinstance(e["message"], str) and e["message"] and isinstance(e["field"], str)
        assert json.dumps(e.get("params", {}))  # plain JSON


@pytest.mark.parametrize(
    "raw,code",
    [
        ('{"title": "x",', "not_json"),
        ("[1, 2]", "wrong_type"),
        ("[" * 3000 + "]" * 3000, "not_json"),
        (b"\xff\xfe{}", "not_utf8"),
        ("   ", "required"),
    ],
)
def test_an_unreadable_body_is_named_body_with_its_code(raw, code):
    from chalicelib.handlers.schemas import CampaignIn

    assert [(e["field"], e["code"]) for e in _refusal(CampaignIn, raw)] == [("body", code)]


def test_bounds_carry_their_numbers_and_amounts_their_unit():
    from chalicelib.handlers.schemas import ApprovalPolicyIn, CampaignIn, RuleIn

    body = {
        "title": "t" * 201,
        "category": "tasting",
        "customer": {"id": "C"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-02",
        "plan": {"expected_spend": -1, "expected_sales": 10**14},
        "requested_amount": 0,
    }
    got = {e["field"]: (e["code"], e.get("params")) for e in _refusal(CampaignIn, json.dumps(body))}
    assert got == {
        "title": ("too_long", {"max_length": 200}),
        "plan.expected_spend": ("too_small", {"min": 0, "unit": "fen"}),
        "plan.expected_sales": ("too_large", {"max": 10**13, "unit": "fen"}),
        "requested_amount": ("too_small", {"min": 1, "unit": "fen"}),
    }
    got = {e["field"]: (e["code"], e.get("params")) for e in _refusal(RuleIn, '{"scope": "x", "due_days": 366}')}
    assert got == {
        "scope": ("not_one_of", {"choices": ["campaign", "category", "all"]}),
        "due_days": ("too_large", {"max": 365}),
    }
    levels = json.dumps({"levels": [{"up_to": None, "approver": "leader"}] * 11})
    assert [(e["code"], e.get("params")) for e in _refusal(ApprovalPolicyIn, levels)] == [
        ("too_many", {"max_length": 10})
    ]


# -- the console translates every code, by code --------------------------------------------------
I18N = ROOT / "console" / "js" / "i18n.js"


def console_tables() -> dict[str, set[str]]:
    """The keys of each language's table in console/js/i18n.js (`TABLE = { zh: {…}, en: {…} }`)."""
    text = I18N.read_text(encoding="utf-8")
    body = text[text.index("export const TABLE = {") :]
    tables: dict[str, set[str]] = {}
    current = None
    for line in body.splitlines()[1:]:
        if line == "};":
            break
        if m := re.fullmatch(r"  (\w+): \{", line):
            current = tables.setdefault(m.group(1), set())
        elif (m := re.match(r'    "([^"]+)": ', line)) and current is not None:
            current.add(m.group(1))
    return tables


def test_the_console_tables_are_read():
    tables = console_tables()
    assert set(tables) >= {"zh", "en"}
    assert all(len(keys) > 300 for keys in tables.values())  # every text of the console, per language


@pytest.mark.parametrize(
    "prefix,codes",
    [("err", ERROR_CODES), ("field_error", FIELD_CODES), ("rejected", REJECTIONS), ("warning", WARNING_CODES)],
    ids=["error codes", "field codes", "upload rejections", "warnings"],
)
def test_every_code_the_server_can_answer_is_translated_in_every_language_of_the_console(prefix, codes):
    for lang, keys in console_tables().items():
        missing = sorted(code for code in codes if f"{prefix}.{code}" not in keys)
        assert missing == [], f"console/js/i18n.js, table {lang}: add {prefix}.<code> for {missing}"


def test_the_console_never_reads_the_servers_english():
    """The console translates by code: no regular expression and no string match over what the
    server wrote in `message` or `reason` (a changed sentence would silently lose the Chinese)."""
    reading = re.compile(
        r"(message|reason)\w*\s*\)?\s*\.(replace|match|matchAll|search|startsWith|endsWith|includes)\("
        r"|\.(exec|test)\(\s*[\w.]*(message|reason)"
        r"|MESSAGES_(ZH|EN)"
    )
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "console" / "js").rglob("*.js"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if reading.search(line)
    ]
    assert found == []
