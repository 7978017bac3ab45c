"""Offline tools (never deployed): full-table reads are acceptable here, never in chalicelib/."""
