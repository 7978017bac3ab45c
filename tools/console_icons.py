"""`python -m tools.console_icons`: the installable console's PNG icons, drawn from console/icon.svg.

Browsers install a web app from its manifest only with raster icons of at least 192 px, and a
phone's launcher masks icons to its own shape, so the console ships, besides icon.svg:

    icons/icon-192.png, icons/icon-512.png    the SVG as it is (rounded corners, transparent)
    icons/maskable-512.png                    the SVG's mark on a full square of its blue, inside
                                              the central 80 % that every mask keeps

Debian's Chromium (the browser tests' one) renders them, so the PNGs are the SVG itself, not a
redrawing; run this again when icon.svg changes (tests/browser/test_offline.py compares them).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = ROOT / "console"
#: (file, size in px, the SVG's share of the square, background)
ICONS = (
    ("icons/icon-192.png", 192, 1.0, "transparent"),
    ("icons/icon-512.png", 512, 1.0, "transparent"),
    ("icons/maskable-512.png", 512, 0.8, "#0b5cab"),
)


def page(size: int, share: float, background: str) -> str:
    svg = base64.b64encode((CONSOLE / "icon.svg").read_bytes()).decode()
    inner = round(size * share)
    return (
        f"<html><body style='margin:0;background:transparent'><div style='width:{size}px;height:{size}px;"
        f"display:flex;align-items:center;justify-content:center;background:{background}'>"
        f"<img src='data:image/svg+xml;base64,{svg}' width='{inner}' height='{inner}'></div></body></html>"
    )


def render() -> dict[str, bytes]:
    """Each icon's PNG bytes, rendered by Chromium."""
    from playwright.sync_api import sync_playwright

    from devstack.browser import CHROMIUM, LAUNCH_ARGS

    out: dict[str, bytes] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for name, size, share, background in ICONS:
            view = browser.new_page(viewport={"width": size, "height": size})
            view.set_content(page(size, share, background))
            out[name] = view.screenshot(omit_background=True)
            view.close()
        browser.close()
    return out


def main() -> int:
    for name, data in render().items():
        target = CONSOLE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
