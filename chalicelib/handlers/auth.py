"""Bearer token verification: RS256 JWTs (Cognito ID tokens) checked against a JWKS.

Production reads the user pool's JWKS URL from stage config through `jwt.PyJWKClient` (cached,
refetched when a token names an unknown key: key rotation). The local stack points JWKS_PATH
at the key pair `make run` generates under var/, read again whenever the file changes. Nothing
but RS256 is ever accepted (no `alg: none`, no HS256 signed with the public key).
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from chalicelib.config import settings
from chalicelib.domain import org as orgs
from chalicelib.domain.access import ROLES, Principal
from chalicelib.domain.errors import Unauthenticated
from chalicelib.lazy import on_first_use

if (
    TYPE_CHECKING
):  # imported on first use (chalicelib.lazy): PyJWT and cryptography cost ~48 ms, paid by the first request
    import jwt
else:
    jwt = on_first_use("jwt")

_ALGORITHMS = ["RS256"]


@functools.lru_cache(maxsize=1)
def _remote_keys(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=300, timeout=3)


@functools.lru_cache(maxsize=4)
def _file_keys(path: str, mtime_ns: int) -> jwt.PyJWKSet:
    with open(path, encoding="utf-8") as fh:
        return jwt.PyJWKSet.from_json(fh.read())


def _signing_key(kid: str | None) -> Any:
    s = settings()
    try:
        if s.jwks_path:
            return _file_keys(s.jwks_path, os.stat(s.jwks_path).st_mtime_ns)[kid or ""].key
        if s.jwks_url:
            return _remote_keys(s.jwks_url).get_signing_key(kid or "").key
    except (KeyError, jwt.PyJWKClientError, jwt.PyJWKSetError):
        raise Unauthenticated("token signed with an unknown key") from None
    raise Unauthenticated("token verification is not configured")


def authenticate(authorization: str | None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("send Authorization: Bearer <token>")
    token = authorization[len("Bearer ") :].strip()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in _ALGORITHMS:
            raise Unauthenticated("token algorithm is not accepted")
        s = settings()
        claims = jwt.decode(
            token,
            _signing_key(header.get("kid")),
            algorithms=_ALGORITHMS,
            audience=s.token_audience,
            issuer=s.token_issuer,
            leeway=30,
            options={"require": ["exp", "iat", "sub"], "verify_aud": s.token_audience is not None},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token has expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"token is not valid ({type(exc).__name__})") from None
    return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    role, org_path, sub = claims.get("custom:role"), claims.get("custom:org"), claims.get("sub")
    if claims.get("token_use", "id") != "id":
        raise Unauthenticated("send an ID token: access tokens carry no role or org")
    if not isinstance(sub, str) or not sub:
        raise Unauthenticated("token lacks sub")
    if role not in ROLES:
        raise Unauthenticated("token lacks a valid custom:role")
    if not isinstance(org_path, str) or not orgs.is_valid_org(org_path):
        raise Unauthenticated("token lacks a valid custom:org")
    name, email = claims.get("name"), claims.get("email")
    name = name if isinstance(name, str) else ""
    email = email if isinstance(email, str) else ""
    return Principal(sub=sub, role=role, org=org_path, name=name, email=email)
