"""Webhook secrets sealed with a KMS key (ports.SecretBox).

A secret is small (a `whsec_` key, a DingTalk `SEC…`), so it is encrypted directly with
`kms:Encrypt` under an encryption context naming its company and webhook: the stored
ciphertext is useless to a reader of the table, and opens only with that context (a sealed
secret copied onto another webhook does not). Only the functions that need it may use the key
(the API encrypts, the delivery function decrypts; infra/template.yaml). The local stack uses
moto's KMS through the same code.

Opening costs a KMS call; a delivery function keeps what it opened for a few minutes (by
ciphertext, so a rotated secret is a new entry), which bounds the calls to about one per
secret per container per five minutes however many events it sends.
"""

from __future__ import annotations

import base64
import threading
import time

from chalicelib.config import settings
from chalicelib.dal.clients import kms

CACHE_SECONDS = 300.0
CACHE_SIZE = 256


class KmsSecretBox:
    def __init__(self) -> None:
        self._opened: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        out = kms().encrypt(
            KeyId=settings().webhook_key_id, Plaintext=plaintext.encode("utf-8"), EncryptionContext=context
        )
        return base64.b64encode(out["CiphertextBlob"]).decode("ascii")

    def open(self, sealed: str, context: dict[str, str]) -> str:
        key = (sealed, tuple(sorted(context.items())))
        now = time.monotonic()
        with self._lock:
            cached = self._opened.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        out = kms().decrypt(
            CiphertextBlob=base64.b64decode(sealed), EncryptionContext=context, KeyId=settings().webhook_key_id
        )
        plaintext = out["Plaintext"].decode("utf-8")
        with self._lock:
            if len(self._opened) >= CACHE_SIZE:
                self._opened.clear()
            self._opened[key] = (now, plaintext)
        return plaintext
