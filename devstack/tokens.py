"""Local bearer tokens: RS256 JWTs shaped like Cognito ID tokens, signed by a key pair that is
generated on first use under ``var/jwt/`` (git-ignored, never committed).

The app verifies them with the public JWKS (``JWKS_PATH``), issuer and audience ``ISSUER`` /
``AUDIENCE``, exactly as it verifies Cognito tokens against the user pool's JWKS in AWS.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from devstack import VAR_DIR

#: Issuer and audience of local tokens (the stack sets TOKEN_ISSUER / TOKEN_AUDIENCE to these).
ISSUER = "huixiang-local"
AUDIENCE = "huixiang-local"
ALGORITHM = "RS256"
DEFAULT_TTL_SECONDS = 3600

#: Where the key pair lives by default: <repo>/var/jwt/.
KEY_DIR: Path = VAR_DIR / "jwt"
PRIVATE_KEY_FILE = "private.pem"
JWKS_FILE = "jwks.json"


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the key directory, so two processes (the stack and a `token`
    command started at the same moment) never generate two different key pairs."""
    with open(directory / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)  # the umask must not widen or narrow it
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable key id derived from the public key."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _public_jwks(private_pem: bytes) -> dict[str, Any]:
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the local signing key is not an RSA key")
    full = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk = {k: v for k, v in full.items() if k in ("kty", "n", "e")}
    jwk.update(kid=_thumbprint(jwk), alg=ALGORITHM, use="sig")
    return {"keys": [jwk]}


def ensure_keys(directory: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """Create the key pair if missing; return ``(private_key_pem_path, jwks_path)``.

    ``private.pem`` is mode 600; ``jwks.json`` is the public JWKS, rebuilt from the private
    key if it is missing (so the two always match).
    """
    d = Path(directory) if directory is not None else KEY_DIR
    private_path, jwks_path = d / PRIVATE_KEY_FILE, d / JWKS_FILE
    if private_path.is_file() and jwks_path.is_file():
        return private_path, jwks_path
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(d):
        if not private_path.is_file():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            _write_atomic(private_path, pem, 0o600)
            jwks_path.unlink(missing_ok=True)  # a JWKS of an older key must not survive
        if not jwks_path.is_file():
            jwks = _public_jwks(private_path.read_bytes())
            _write_atomic(jwks_path, (json.dumps(jwks, indent=2) + "\n").encode(), 0o644)
    return private_path, jwks_path


@functools.lru_cache(maxsize=8)
def _signing_key(path: str, mtime_ns: int) -> tuple[Any, str]:
    """The loaded private key and its kid; cached per file version (benchmarks mint many)."""
    pem = Path(path).read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    kid = _public_jwks(pem)["keys"][0]["kid"]
    return key, kid


def mint_token(
    sub: str,
    role: str,
    org: str,
    name: str | None = None,
    email: str | None = None,
    ttl: int = DEFAULT_TTL_SECONDS,
    extra_claims: Mapping[str, Any] | None = None,
    expires_in: int | None = None,
    key_dir: str | os.PathLike[str] | None = None,
) -> str:
    """A signed local ID token (without the ``Bearer `` prefix).

    Claims follow a Cognito ID token: ``sub, cognito:username, name, email, custom:role,
    custom:org, token_use="id", iss, aud, iat, exp, auth_time, jti``. ``expires_in`` (seconds,
    may be negative for an already expired token) overrides ``ttl``. ``extra_claims`` are
    applied last: they add or replace claims, and a value of None removes that claim (to test
    tokens with a claim missing).
    """
    private_path, _ = ensure_keys(key_dir)
    key, kid = _signing_key(str(private_path), private_path.stat().st_mtime_ns)
    lifetime = int(expires_in if expires_in is not None else ttl)
    now = int(time.time())
    # An already expired token was issued before it expired, like a real one.
    issued = now if lifetime > 0 else now + lifetime - DEFAULT_TTL_SECONDS
    claims: dict[str, Any] = {
        "sub": sub,
        "cognito:username": sub,  # chalice.local's Cognito authorizer emulation needs it
        "name": name if name is not None else sub,
        "email": email if email is not None else f"{sub}@example.com",
        "email_verified": True,
        "custom:role": role,
        "custom:org": org,
        "token_use": "id",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "auth_time": issued,
        "iat": issued,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
    }
    for k, v in (extra_claims or {}).items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


def verify_token(token: str, key_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Decode and verify a local token with the local JWKS (for tests and debugging)."""
    _, jwks_path = ensure_keys(key_dir)
    keys = jwt.PyJWKSet.from_json(jwks_path.read_text())
    kid = jwt.get_unverified_header(token).get("kid")
    key = next((k for k in keys.keys if k.key_id == kid), None)
    if key is None:
        raise jwt.InvalidTokenError(f"no key {kid!r} in {jwks_path}")
    return jwt.decode(token, key.key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER)


__all__ = ["ISSUER", "AUDIENCE", "ALGORITHM", "KEY_DIR", "ensure_keys", "mint_token", "verify_token"]
