"""openapi.yaml is the contract clients generate code from: it must describe exactly the routes
Chalice serves, carry the conventions of API.md on every operation, and be what
GET /openapi.json hands out."""

from __future__ import annotations

import json
import re

import pytest

from infra.openapi import ROOT, SERVED, SOURCE, load_spec, render

METHODS = {"get", "post", "put", "patch", "delete"}
PUBLIC = {("/health", "get"), ("/openapi.json", "get")}


@pytest.fixture(scope="module")
def spec() -> dict:
    return load_spec()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _params(spec, path, op) -> dict[tuple[str, str], dict]:
    def resolve(p):
        if "$ref" in p:
            return spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        return p

    found = [resolve(p) for p in spec["paths"][path].get("parameters", []) + op.get("parameters", [])]
    return {(p["in"], p["name"]): p for p in found}


def test_the_document_is_valid_openapi_3(spec):
    from openapi_spec_validator import validate

    validate(spec)


def test_every_chalice_route_is_in_the_spec_and_every_spec_operation_is_served(spec, chalice_app):
    served = {(path, method.lower()) for path, entry in chalice_app.routes.items() for method in entry}
    described = {(path, method) for path, method, _ in _operations(spec)}
    assert served - described == set(), "routes missing from openapi.yaml"
    assert described - served == set(), "openapi.yaml describes routes the app does not serve"


def test_path_parameters_are_named_as_in_the_routes(spec):
    for path, _, op in _operations(spec):
        in_path = set(re.findall(r"{(\w+)}", path))
        declared = {name for (where, name) in _params(spec, path, op) if where == "path"}
        assert in_path == declared, path


def test_every_operation_carries_the_conventions_of_the_contract(spec):
    for path, method, op in _operations(spec):
        where = f"{method.upper()} {path}"
        params = _params(spec, path, op)
        if (path, method) in PUBLIC:
            assert op.get("security") == [], where
            continue
        assert "security" not in op or op["security"] == [{"bearerAuth": []}], where
        assert "401" in op["responses"], where
        if method == "post":
            assert ("header", "Idempotency-Key") in params, where
        if "requestBody" in op:
            assert {"400", "413", "415"} <= set(op["responses"]), where
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if ok.get("$ref", "").endswith("Page"):  # a paged list: …Page schemas are the pages
            assert {("query", "limit"), ("query", "cursor")} <= set(params), where
        for status, response in op["responses"].items():
            if status.startswith("4") and status != "400":  # every error body is the Error shape
                allowed = _ERROR_RESPONSES[status]
                assert response in [{"$ref": f"#/components/responses/{name}"} for name in allowed], where
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


# A route that moves budget money answers its 409s as BudgetConflict: an Error, or a
# BudgetExceeded (an Error with `available`) for `budget_exceeded`.
_ERROR_RESPONSES = {
    "401": ["Unauthorized"],
    "403": ["Forbidden"],
    "404": ["NotFound"],
    "409": [
        "Conflict",
        "BudgetConflict",
        "NotEndedConflict",
        "RuleConflict",
        "SettlementConflict",
        "InvoiceConflict",
        "VoucherConflict",
    ],
    "410": ["Gone"],
    "413": ["PayloadTooLarge"],
    "415": ["UnsupportedMediaType"],
}


def test_budget_conflicts_are_an_error_or_budget_exceeded_with_available(spec):
    schemas = spec["components"]["schemas"]
    one_of = spec["components"]["responses"]["BudgetConflict"]["content"]["application/json"]["schema"]["oneOf"]
    assert one_of == [{"$ref": "#/components/schemas/BudgetExceeded"}, {"$ref": "#/components/schemas/Error"}]
    exceeded = schemas["BudgetExceeded"]
    assert exceeded["properties"]["code"] == {"type": "string", "enum": ["budget_exceeded"]}
    assert set(exceeded["required"]) == {"code", "message", "available"}
    # closed both: a budget_exceeded body matches BudgetExceeded only, any other matches Error only
    assert exceeded["additionalProperties"] is False and schemas["Error"]["additionalProperties"] is False
    moving = {("/budgets", "post"), ("/budgets/{budget_id}", "patch"), ("/campaigns/{campaign_id}/approve", "post")}
    budget_conflicts = {
        (path, method)
        for path, method, op in _operations(spec)
        if op["responses"].get("409") == {"$ref": "#/components/responses/BudgetConflict"}
    }
    assert budget_conflicts == moving


def test_what_waits_for_a_campaigns_end_says_from_which_day(spec):
    """Feedback submit and settlement answer 409 campaign_not_ended with `ends_on` before the
    campaign's last day: a CampaignNotEnded, closed like Error, on exactly those two routes."""
    schemas = spec["components"]["schemas"]
    one_of = spec["components"]["responses"]["NotEndedConflict"]["content"]["application/json"]["schema"]["oneOf"]
    assert one_of == [{"$ref": "#/components/schemas/CampaignNotEnded"}, {"$ref": "#/components/schemas/Error"}]
    not_ended = schemas["CampaignNotEnded"]
    assert not_ended["properties"]["code"] == {"type": "string", "enum": ["campaign_not_ended"]}
    assert set(not_ended["required"]) == {"code", "message", "ends_on"} and not_ended["additionalProperties"] is False
    waiting = {
        (path, method)
        for path, method, op in _operations(spec)
        if op["responses"].get("409")
        in ({"$ref": "#/components/responses/NotEndedConflict"}, {"$ref": "#/components/responses/SettlementConflict"})
    }
    assert waiting == {
        ("/campaigns/{campaign_id}/feedback/submit", "post"),
        ("/campaigns/{campaign_id}/reimbursement", "post"),
    }


def test_settlement_and_invoice_conflicts_carry_what_a_client_needs(spec):
    """Settlement's 409 is also an InvoicesShort with `invoice_total`; a claim's an
    InvoiceAlreadyClaimed whose `claimed_on` is optional (only for a campaign the caller may see)."""
    schemas, responses = spec["components"]["schemas"], spec["components"]["responses"]
    settling = responses["SettlementConflict"]["content"]["application/json"]["schema"]["oneOf"]
    assert settling == [
        {"$ref": "#/components/schemas/CampaignNotEnded"},
        {"$ref": "#/components/schemas/InvoicesShort"},
        {"$ref": "#/components/schemas/Error"},
    ]
    short = schemas["InvoicesShort"]
    assert short["properties"]["code"] == {"type": "string", "enum": ["invoices_short"]}
    assert set(short["required"]) == {"code", "message", "invoice_total"} and short["additionalProperties"] is False
    claiming = responses["InvoiceConflict"]["content"]["application/json"]["schema"]["oneOf"]
    assert claiming == [{"$ref": "#/components/schemas/InvoiceAlreadyClaimed"}, {"$ref": "#/components/schemas/Error"}]
    taken = schemas["InvoiceAlreadyClaimed"]
    assert taken["properties"]["code"] == {"type": "string", "enum": ["invoice_already_claimed"]}
    assert set(taken["required"]) == {"code", "message"} and taken["properties"]["claimed_on"]["required"] == [
        "campaign_id"
    ]
    conflicts = {
        (path, method)
        for path, method, op in _operations(spec)
        if op["responses"].get("409") == {"$ref": "#/components/responses/InvoiceConflict"}
    }
    assert conflicts == {("/campaigns/{campaign_id}/invoices", "post")}


def test_voucher_conflicts_say_what_they_are_about_and_only_on_the_voucher_routes(spec):
    """nothing_to_export adds `through`, already_posted adds `voucher_no`: each a closed schema
    of its own, beside Error, on the two voucher routes that answer them."""
    schemas = spec["components"]["schemas"]
    one_of = spec["components"]["responses"]["VoucherConflict"]["content"]["application/json"]["schema"]["oneOf"]
    assert one_of == [
        {"$ref": "#/components/schemas/NothingToExport"},
        {"$ref": "#/components/schemas/AlreadyPosted"},
        {"$ref": "#/components/schemas/Error"},
    ]
    for name, code, extra in (
        ("NothingToExport", "nothing_to_export", "through"),
        ("AlreadyPosted", "already_posted", "voucher_no"),
    ):
        assert schemas[name]["properties"]["code"] == {"type": "string", "enum": [code]}
        assert set(schemas[name]["required"]) == {"code", "message", extra}
        assert schemas[name]["additionalProperties"] is False
    assert {
        (path, method)
        for path, method, op in _operations(spec)
        if op["responses"].get("409") == {"$ref": "#/components/responses/VoucherConflict"}
    } == {("/voucher-batches", "post"), ("/voucher-batches/{batch_id}/posted", "post")}


def test_validation_errors_name_each_field_with_a_code_of_the_enum(spec):
    from chalicelib.domain.errors import FIELD_CODES

    schemas = spec["components"]["schemas"]
    assert schemas["ValidationError"]["required"] == ["code", "message", "errors"]
    assert schemas["ValidationError"]["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert schemas["FieldError"]["required"] == ["field", "code", "message"]
    assert schemas["FieldError"]["properties"]["code"] == {"$ref": "#/components/schemas/FieldErrorCode"}
    codes = schemas["FieldErrorCode"]
    assert codes["enum"] == list(FIELD_CODES)
    for code in FIELD_CODES:  # each described
        assert f"* `{code}`: " in codes["description"], code


def test_every_page_is_a_list_of_its_own_items(spec):
    """Each paged list names its item type (a generated client types every list by it)."""
    for name, schema in spec["components"]["schemas"].items():
        if name.endswith("Page"):
            assert {"items", "next_cursor"} <= set(schema["required"]), name
            assert schema["properties"]["items"]["items"]["$ref"].startswith("#/components/schemas/"), name
            assert schema["properties"]["next_cursor"] == {"$ref": "#/components/schemas/Cursor"}, name


def _response_schemas(spec):
    for path, method, op in _operations(spec):
        for status, response in op["responses"].items():
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            for media in response.get("content", {}).values():
                yield f"{method.upper()} {path} {status}", media["schema"]


def _objects(spec, schema, where, seen):
    """Every object schema reachable from `schema`, with where it was reached from."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _objects(spec, spec["components"]["schemas"][name], name, seen)
    types = schema.get("type")
    if types == "object" or (isinstance(types, list) and "object" in types):
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            yield from _objects(spec, part, where, seen)
    for prop, sub in schema.get("properties", {}).items():
        yield from _objects(spec, sub, f"{where}.{prop}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _objects(spec, schema[key], f"{where}[]", seen)


def test_every_response_object_is_closed_and_composed_without_allof(spec):
    """docs/api.md, "How strict": a response object lists its fields and refuses others, so a
    generated client has exact types and the contract tests catch a field the spec lacks."""
    seen: set[str] = set()
    for where, schema in _response_schemas(spec):
        if where.startswith("GET /openapi.json"):
            continue  # the document itself: any JSON object
        for place, obj in _objects(spec, schema, where, seen):
            assert "allOf" not in obj, place  # closed objects cannot be combined with allOf
            if "additionalProperties" in obj and obj["additionalProperties"] is not False:
                assert isinstance(obj["additionalProperties"], dict), place  # a map, typed
                continue
            assert obj.get("additionalProperties") is False, f"{place} is not closed"
            assert set(obj.get("required", [])) <= set(obj["properties"]), place


def test_no_key_of_the_document_is_null(spec):
    """A plain scalar with a comma inside a YAML flow mapping (`{description: a, b}`) silently
    becomes a key `b` with a null value: the description is cut short, and nothing else says so."""

    def nulls(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None:
                    yield f"{where}/{key}"
                yield from nulls(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from nulls(value, f"{where}/{i}")

    assert list(nulls(spec, "")) == []


def test_served_copy_is_current(spec):
    assert SERVED.read_text(encoding="utf-8") == render(spec), "run: python -m infra.openapi"


def test_openapi_json_is_public_and_is_the_spec(recorded_api, spec):
    r = recorded_api.get("/openapi.json")
    assert r.status_code == 200
    assert r.json == json.loads(render(spec))


def test_the_generated_components_are_current():
    """openapi.yaml's request bodies (and FieldErrorCode) are generated from the code: a model
    edited without regenerating fails here, and says what to run."""
    from infra.openapi import COMMAND, components, hand_written_clashes

    parts = components()
    assert hand_written_clashes(SOURCE.read_text(encoding="utf-8"), parts) == [], (
        "written by hand in openapi.yaml but generated from chalicelib/handlers/schemas.py: delete the hand-written one"
    )
    from infra.openapi import stale

    assert stale(parts) == [], f"generated from chalicelib/handlers/schemas.py and domain/errors.py: run `{COMMAND}`"


def _validated_bodies() -> dict[tuple[str, str], str]:
    """(path, method) → the name of the model its handler validates the body with, read from the
    route modules' source (`@routes.post("/path")` … `req.body(Model)`)."""
    import ast

    found = {}
    for module in sorted((ROOT / "chalicelib" / "handlers" / "routes").glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.args:
                    route = (deco.args[0].value, deco.func.attr)
                    for call in ast.walk(node):
                        if (
                            isinstance(call, ast.Call)
                            and isinstance(call.func, ast.Attribute)
                            and call.func.attr == "body"
                            and call.args
                            and isinstance(call.args[0], (ast.Name, ast.Attribute))
                        ):  # req.body(Model) or req.body(schemas.Model)
                            model = call.args[0]
                            found[route] = model.id if isinstance(model, ast.Name) else model.attr
    return found


def test_every_request_body_is_the_model_its_handler_validates_with(spec):
    """The operation's requestBody names the pydantic model the handler validates with, by its
    class name: the component generated from it. A body refused whole for an unknown field is
    also closed in the document."""
    described = {
        (path, method): op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path, method, op in _operations(spec)
        if "requestBody" in op
    }
    validated = _validated_bodies()
    assert len(validated) >= 15  # the reading of the route modules found them
    assert described == validated
    for name in described.values():
        assert spec["components"]["schemas"][name]["additionalProperties"] is False, name


DOCS = ROOT / "docs" / "api.md"


def test_the_reference_in_docs_names_every_operation(spec):
    """docs/api.md is the readable companion: a route missing there is missing for a reader."""
    text = DOCS.read_text(encoding="utf-8")
    missing = [
        f"{method.upper()} {path}"
        for path, method, _ in _operations(spec)
        if not re.search(rf"`{method.upper()} {re.escape(path)}[`?]", text)
    ]
    assert missing == [], "operations docs/api.md does not describe"


def test_the_contract_stands_alone_without_machine_paths():
    """The spec, its served copy, the reference and these tests name no file outside the
    repository and no path of the machine they were written on."""
    from tests.machine_paths import MACHINE_PATH

    files = [SOURCE, SERVED, DOCS, *sorted((ROOT / "tests" / "contract").glob("*.*"))]
    found = [
        f"{f.relative_to(ROOT)}:{n}"
        for f in files
        if f.suffix in {".yaml", ".json", ".md", ".py"}
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if MACHINE_PATH.search(line)
    ]
    assert found == []
