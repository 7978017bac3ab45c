"""Thin adapters from Lambda events (HTTP, streams) to use cases in chalicelib.logic."""
