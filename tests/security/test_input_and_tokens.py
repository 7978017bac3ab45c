"""Hostile tokens, hostile bodies and hostile header values: each is a clear 4xx, never a 500,
never a stored half-record, never echoed into a response header. Extends
tests/functional/test_tokens.py (alg none, HS256 with the PEM public key, tampering, claims)
and tests/functional/test_bad_input.py (413 over the limit, a 3000-deep array)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.conftest import campaign_body, mint


def b64(data: bytes | dict) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def claims(**kw) -> dict:
    now = int(time.time())
    base = {
        "sub": "u1",
        "custom:role": "leader",
        "custom:org": "CN",
        "token_use": "id",
        "iss": "huixiang-local",
        "aud": "huixiang-local",
        "iat": now,
        "exp": now + 600,
    }
    return {**base, **kw}


def _kid() -> str:
    return jwt.get_unverified_header(mint("u1", "leader", "CN"))["kid"]


def _jwk() -> dict:
    with open(os.environ["JWKS_PATH"], encoding="utf-8") as fh:
        return json.load(fh)["keys"][0]


def _unauthorized(api, token: str) -> bool:
    r = api.get("/categories", token)
    return r.status_code == 401 and r.json["code"] == "unauthorized"


# -- tokens ------------------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["None", "NONE", "nOnE", ""])
@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
def test_alg_none_in_any_spelling_with_or_without_a_signature_is_401(api, alg, signature):
    token = b64({"alg": alg, "typ": "JWT", "kid": _kid()}) + "." + b64(claims()) + "." + signature
    assert _unauthorized(api, token)


@pytest.mark.parametrize("form", ["jwk-json", "der", "modulus"])
def test_hs256_with_the_public_key_in_other_encodings_is_401(api, form):
    jwk = _jwk()
    public = jwt.PyJWK(jwk).key
    secret = {
        "jwk-json": json.dumps(jwk).encode(),
        "der": public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "modulus": jwk["n"].encode(),
    }[form]
    for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        signing_input = b64({"alg": alg, "typ": "JWT", "kid": jwk["kid"]}) + "." + b64(claims())
        signature = b64(hmac.new(secret, signing_input.encode(), digest).digest())
        assert _unauthorized(api, signing_input + "." + signature), (form, alg)


def test_a_key_embedded_in_the_token_header_is_ignored(api):
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    embedded = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(attacker.public_key()))
    for header in (
        {"jwk": embedded, "kid": _kid()},
        {"jku": "https://evil.example/jwks.json", "kid": _kid()},
        {"x5u": "https://evil.example/cert.pem", "kid": _kid()},
        {"jwk": embedded},
    ):
        token = jwt.encode(claims(), attacker, algorithm="RS256", headers=header)
        assert _unauthorized(api, token), header


@pytest.mark.parametrize("kid", ["../../../../etc/passwd", "' OR '1'='1", "x" * 5000, ""])
def test_unknown_or_hostile_kid_is_401(api, kid):
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _unauthorized(api, jwt.encode(claims(), attacker, algorithm="RS256", headers={"kid": kid}))


def test_other_asymmetric_algorithms_are_refused_even_with_a_known_kid(api):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    assert _unauthorized(api, jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": _kid()}))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _unauthorized(api, jwt.encode(claims(), rsa_key, algorithm="PS256", headers={"kid": _kid()}))


def test_a_token_is_only_read_from_the_authorization_header(api, company):
    assert api.get(f"/categories?access_token={company.leader}").status_code == 401
    assert api.call("GET", "/categories", headers={"Cookie": f"token={company.leader}"}).status_code == 401
    assert api.call("GET", "/categories", headers={"Authorization": company.leader}).status_code == 401


# -- oversized and deeply nested bodies ----------------------------------------------------------
def _fields(r) -> set[str]:
    return {e["field"] for e in r.json.get("errors", [])}


def test_the_size_limit_counts_bytes_not_characters(api, company):
    from chalicelib.config import settings

    body = campaign_body()
    body["title"] = "回" * (settings().max_body_bytes // 3 + 10)  # fewer characters than the limit, more bytes
    raw = json.dumps(body, ensure_ascii=False)
    assert len(raw) < settings().max_body_bytes < len(raw.encode())
    r = api.post("/campaigns", company.rep, raw=raw)
    assert r.status_code == 413 and r.json["code"] == "payload_too_large"
    assert api.get("/campaigns", company.rep).json["items"] == []


@pytest.mark.parametrize("depth", [100, 1000, 20000])
@pytest.mark.parametrize("where", ["title", "customer", "location", "plan"])
def test_deeply_nested_objects_inside_a_field_are_a_400_naming_it(api, company, depth, where):
    body = campaign_body()
    raw = json.dumps(body).replace(f'"{where}": ', f'"{where}": ' + '{"a": ' * depth + "1" + "}" * depth + ', "_": ', 1)
    r = api.post("/campaigns", company.rep, raw=raw)
    assert r.status_code in (400, 413), r.json
    if r.status_code == 400:
        assert r.json["code"] == "validation_error" and _fields(r)
    assert api.get("/campaigns", company.rep).json["items"] == []


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 30000 + "]" * 30000,  # within the byte limit, very deep
        '{"a":' * 12000 + "1" + "}" * 12000,
        '{"title": "x", "title": {"title": []}}',  # duplicate keys
        '{"requested_amount": ' + "9" * 5000 + "}",  # beyond Python's int-from-string limit
        '{"requested_amount": 1e400}',
        '{"requested_amount": NaN}',
        '{"requested_amount": -Infinity}',
        '{"title": "\\ud800 lone surrogate"}',
        '"just a string"',
        "null",
        "1",
        "",
    ],
)
def test_hostile_json_is_a_400_never_a_500(api, company, raw):
    r = api.post("/campaigns", company.rep, raw=raw)
    assert r.status_code in (400, 413), (r.status_code, r.json)
    assert r.json["code"] in ("validation_error", "payload_too_large")
    assert api.get("/campaigns", company.rep).json["items"] == []


def test_a_lone_surrogate_inside_an_otherwise_valid_body_is_a_400_or_stored_intact(api, company):
    raw = json.dumps(campaign_body()).replace('"Weekend tasting', '"\\udc80 Weekend tasting')
    r = api.post("/campaigns", company.rep, raw=raw)
    assert r.status_code in (201, 400), (r.status_code, r.json)
    if r.status_code == 201:
        assert api.get(f"/campaigns/{r.json['id']}", company.rep).status_code == 200


# -- header injection through values -------------------------------------------------------------
@pytest.mark.parametrize("key", ["abc\r\nSet-Cookie: session=stolen", "abc\nX-Injected: 1", "abc\x00def", "k" * 129])
def test_idempotency_keys_with_control_characters_are_refused_not_echoed(api, company, key):
    r = api.post("/campaigns", company.rep, campaign_body(), headers={"Idempotency-Key": key})
    assert r.status_code == 400 and _fields(r) == {"Idempotency-Key"}
    assert "Idempotency-Key" not in r.headers and "Set-Cookie" not in r.headers and "X-Injected" not in r.headers
    assert api.get("/campaigns", company.rep).json["items"] == []


def test_user_supplied_text_never_reaches_a_response_header(api, company, flow):
    evil = "x\r\nSet-Cookie: session=stolen\r\nX-Injected: 1"
    c = flow.draft(
        title=evil[:150].replace("\r", " ").replace("\n", " "),
        customer={"id": "CUST-1", "name": "Shop Set-Cookie: a=b"},
    )
    for r in (
        api.get(f"/campaigns/{c['id']}", company.rep),
        api.get("/campaigns", company.rep),
        api.patch(f"/campaigns/{c['id']}", company.rep, {"title": "Set-Cookie: session=x"}),
    ):
        assert r.status_code == 200
        assert set(k.lower() for k in r.headers) <= {"content-type", "content-length", "idempotency-key"}, r.headers
        assert all("Set-Cookie" not in str(v) and "\n" not in str(v) for v in r.headers.values())
    r = api.patch(f"/campaigns/{c['id']}", company.rep, {"title": evil})
    assert r.status_code == 400 and _fields(r) == {"title"}  # control characters are refused in names


@pytest.mark.parametrize("param", ["owner", "category", "customer_id", "cursor", "org"])
def test_query_values_with_line_breaks_are_a_400_naming_the_parameter(api, company, param):
    r = api.get(f"/campaigns?{param}=a%0d%0aSet-Cookie:%20x", company.leader)
    assert r.status_code == 400 and _fields(r) == {param}
