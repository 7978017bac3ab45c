"""Local bearer tokens: RS256, kid, Cognito-like claims, key files and the `token` command."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for devstack

from devstack import tokens
from devstack.tokens import AUDIENCE, ISSUER, ensure_keys, mint_token, verify_token

ROOT = Path(__file__).resolve().parents[2]


def _decode(token: str, jwks_path: Path, **kwargs: object) -> dict:
    jwks = jwt.PyJWKSet.from_json(jwks_path.read_text())
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [k for k in jwks.keys if k.key_id == kid]
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER, **kwargs)


def test_keys_are_generated_once_with_private_key_mode_600(tmp_path: Path) -> None:
    private, jwks_path = ensure_keys(tmp_path)
    assert private == tmp_path / "private.pem" and jwks_path == tmp_path / "jwks.json"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    jwks = json.loads(jwks_path.read_text())
    [key] = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert "d" not in key  # public only
    before = private.read_bytes()
    assert ensure_keys(tmp_path) == (private, jwks_path)
    assert private.read_bytes() == before
    jwks_path.unlink()  # a lost JWKS is rebuilt from the same private key
    ensure_keys(tmp_path)
    assert json.loads(jwks_path.read_text()) == jwks


def test_token_is_rs256_with_kid_and_cognito_like_claims(tmp_path: Path) -> None:
    token = mint_token("u-1", "manager", "CN/EAST", name="Mgr", email="m@example.com", key_dir=tmp_path)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == json.loads((tmp_path / "jwks.json").read_text())["keys"][0]["kid"]
    claims = _decode(token, tmp_path / "jwks.json")
    assert claims["sub"] == "u-1" and claims["cognito:username"] == "u-1"
    assert claims["custom:role"] == "manager" and claims["custom:org"] == "CN/EAST"
    assert claims["name"] == "Mgr" and claims["email"] == "m@example.com"
    assert claims["token_use"] == "id"
    assert claims["iss"] == ISSUER == "huixiang-local" and claims["aud"] == AUDIENCE
    now = time.time()
    assert claims["iat"] <= now and claims["auth_time"] <= now
    assert 3500 < claims["exp"] - now <= 3600
    assert verify_token(token, tmp_path)["sub"] == "u-1"


def test_ttl_expiry_and_extra_claims(tmp_path: Path) -> None:
    short = _decode(mint_token("u", "rep", "CN", ttl=60, key_dir=tmp_path), tmp_path / "jwks.json")
    assert short["exp"] - short["iat"] == 60
    expired = mint_token("u", "rep", "CN", expires_in=-10, key_dir=tmp_path)
    with pytest.raises(jwt.ExpiredSignatureError):
        _decode(expired, tmp_path / "jwks.json")
    odd = mint_token("u", "rep", "CN", key_dir=tmp_path, extra_claims={"token_use": "access", "email": None, "x": 1})
    claims = _decode(odd, tmp_path / "jwks.json")
    assert claims["token_use"] == "access" and claims["x"] == 1 and "email" not in claims


def test_token_signed_by_another_key_does_not_verify(tmp_path: Path) -> None:
    other = mint_token("u", "rep", "CN", key_dir=tmp_path / "other")
    ensure_keys(tmp_path / "mine")
    with pytest.raises(jwt.InvalidTokenError):  # its kid is not in this JWKS
        verify_token(other, tmp_path / "mine")


def test_token_command_prints_a_verifiable_token() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "token",
            "--sub",
            "u-9",
            "--role",
            "finance",
            "--org",
            "CN",
            "--name",
            "Fin",
            "--ttl",
            "120",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    token = out.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token
    claims = _decode(token, tokens.KEY_DIR / "jwks.json")
    assert claims["sub"] == "u-9" and claims["custom:role"] == "finance"
    assert claims["name"] == "Fin" and claims["exp"] - claims["iat"] == 120
