"""What the storage tells a use case besides data (light: no AWS imports)."""
from __future__ import annotations


class AlreadyDecided(Exception):
    """The upload checker already recorded a decision on this object version (or the
    attachment is gone): a redelivered S3 event."""


class ObjectMissing(Exception):
    """The object is gone, or is not the version asked for (its ETag changed)."""
