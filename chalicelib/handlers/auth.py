"""Bearer token verification: RS256 JWTs (Cognito ID tokens) checked against a JWKS.

Production reads the user pool's JWKS URL from stage config; the local stack points JWKS_PATH
at the key pair that `make run` generates under var/. Nothing but RS256 is ever accepted
(no `alg: none`, no HS256 signed with the public key).
"""
from __future__ import annotations

import json
import threading
import time

from chalicelib.config import settings
from chalicelib.domain import org as orgs
from chalicelib.domain.access import ROLES, Principal
from chalicelib.domain.errors import Unauthenticated

_ALGORITHMS = ["RS256"]
_lock = threading.Lock()
_keys: dict[str, object] = {}
_loaded_at = 0.0
_REFRESH_AFTER = 300.0


def _load_jwks() -> dict:
    s = settings()
    if s.jwks_path:
        with open(s.jwks_path, encoding="utf-8") as fh:
            return json.load(fh)
    if s.jwks_url:
        import urllib.request
        with urllib.request.urlopen(s.jwks_url, timeout=3) as resp:  # noqa: S310 - URL from stage config
            return json.load(resp)
    raise Unauthenticated("token verification is not configured")


def _signing_key(kid: str | None):
    """The public key for `kid`; reload the JWKS at most every few minutes (key rotation)."""
    global _loaded_at
    import jwt

    with _lock:
        stale = time.monotonic() - _loaded_at > _REFRESH_AFTER
        if kid not in _keys and (stale or not _keys):
            jwks = _load_jwks()
            _keys.clear()
            for jwk in jwks.get("keys", []):
                if jwk.get("kty") == "RSA" and jwk.get("kid"):
                    _keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
            _loaded_at = time.monotonic()
        key = _keys.get(kid)
    if key is None:
        raise Unauthenticated("token signed with an unknown key")
    return key


def reset_key_cache() -> None:
    """Forget loaded keys (tests rotate keys)."""
    global _loaded_at
    with _lock:
        _keys.clear()
        _loaded_at = 0.0


def authenticate(authorization: str | None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("send Authorization: Bearer <token>")
    token = authorization[len("Bearer "):].strip()
    import jwt

    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in _ALGORITHMS:
            raise Unauthenticated("token algorithm is not accepted")
        s = settings()
        claims = jwt.decode(
            token, _signing_key(header.get("kid")), algorithms=_ALGORITHMS,
            audience=s.token_audience, issuer=s.token_issuer, leeway=30,
            options={"require": ["exp", "iat", "sub"], "verify_aud": s.token_audience is not None},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token has expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"token is not valid ({type(exc).__name__})") from None
    return principal_from_claims(claims)


def principal_from_claims(claims: dict) -> Principal:
    role, org_path, sub = claims.get("custom:role"), claims.get("custom:org"), claims.get("sub")
    if claims.get("token_use", "id") != "id":
        raise Unauthenticated("send an ID token: access tokens carry no role or org")
    if not isinstance(sub, str) or not sub:
        raise Unauthenticated("token lacks sub")
    if role not in ROLES:
        raise Unauthenticated("token lacks a valid custom:role")
    if not isinstance(org_path, str) or not orgs.is_valid_org(org_path):
        raise Unauthenticated("token lacks a valid custom:org")
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    return Principal(sub=sub, role=role, org=org_path, name=name, email=email)

