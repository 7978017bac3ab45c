"""The console's static files, without a browser: the size budget, the vendored libraries as
pinned, and no inline script for the Content-Security-Policy to forbid."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

from tests.browser.conftest import ROOT

CONSOLE = ROOT / "console"
BUDGET_BYTES = 150 * 1024


def gzipped_sizes() -> dict[str, int]:
    """Each JS and CSS file of the console, gzipped as a CDN would serve it."""
    return {
        str(p.relative_to(CONSOLE)): len(gzip.compress(p.read_bytes(), compresslevel=9))
        for p in sorted(CONSOLE.rglob("*"))
        if p.suffix in (".js", ".css")
    }


def test_the_consoles_js_and_css_stay_within_150_kb_gzipped():
    sizes = gzipped_sizes()
    total = sum(sizes.values())
    assert total <= BUDGET_BYTES, f"{total / 1024:.1f} KB gzipped: {sizes}"


def test_vendored_files_are_the_pinned_ones():
    manifest = json.loads((CONSOLE / "vendor" / "manifest.json").read_text())
    actual = {name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest() for name in manifest}
    assert actual == manifest
    on_disk = {str(p.relative_to(ROOT)) for p in (CONSOLE / "vendor").rglob("*.js")}
    assert on_disk <= set(manifest), "a vendored file is not in the manifest"


def test_the_page_has_no_inline_script_style_or_event_handler():
    """The CSP allows scripts and styles from 'self' only: anything inline would be blocked."""
    for path in [CONSOLE / "index.html", *CONSOLE.rglob("*.js")]:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
            assert "<style" not in text and " style=" not in text, path
        assert not re.search(r"""\son[a-z]+=["']""", text), f"inline event handler in {path}"
