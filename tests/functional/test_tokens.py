"""Missing or bad tokens are 401s; only RS256 tokens signed by the JWKS's keys pass."""

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
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import mint


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(**kw):
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
    base.update(kw)
    return base


def status(api, token):
    return api.get("/categories", token)


def test_no_token_or_not_bearer_is_401(api):
    assert api.get("/categories").status_code == 401
    r = api.call("GET", "/categories", headers={"Authorization": "Basic dTpw"})
    assert r.status_code == 401 and r.json["code"] == "unauthorized"


def test_expired_token_is_401(api):
    r = status(api, mint("u1", "leader", "CN", expires_in=-120))
    assert r.status_code == 401 and "expired" in r.json["message"]


def test_token_signed_by_another_key_is_401(api):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(mint("u1", "leader", "CN"))["kid"]
    forged = jwt.encode(claims(), other, algorithm="RS256", headers={"kid": kid})
    assert status(api, forged).status_code == 401


def test_tampered_payload_is_401(api):
    header, _, signature = mint("u1", "rep", "CN/EAST/JS").split(".")
    forged = ".".join([header, b64(claims(**{"custom:role": "finance"})), signature])
    assert status(api, forged).status_code == 401


def test_alg_none_is_401(api):
    kid = jwt.get_unverified_header(mint("u1", "leader", "CN"))["kid"]
    token = b64({"alg": "none", "typ": "JWT", "kid": kid}) + "." + b64(claims()) + "."
    assert status(api, token).status_code == 401


def test_hs256_signed_with_the_public_key_is_401(api):
    with open(os.environ["JWKS_PATH"], encoding="utf-8") as fh:
        jwk = json.load(fh)["keys"][0]
    public_pem = jwt.PyJWK(jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64({"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]})
    body = header + "." + b64(claims())
    sig = base64.urlsafe_b64encode(hmac.new(public_pem, body.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    assert status(api, body + "." + sig).status_code == 401


@pytest.mark.parametrize("missing", ["custom:role", "custom:org", "sub", "exp"])
def test_token_lacking_a_claim_is_401(api, missing):
    r = status(api, mint("u1", "leader", "CN", extra_claims={missing: None}))
    assert r.status_code == 401


@pytest.mark.parametrize(
    "claim,value",
    [
        ("custom:role", "admin"),
        ("custom:org", "../etc"),
        ("token_use", "access"),
        ("aud", "someone-else"),
        ("iss", "evil"),
    ],
)
def test_token_with_a_bad_claim_is_401(api, claim, value):
    assert status(api, mint("u1", "leader", "CN", extra_claims={claim: value})).status_code == 401


def test_garbage_token_is_401(api):
    assert status(api, "not.a.jwt").status_code == 401
    assert status(api, "x" * 5000).status_code == 401
