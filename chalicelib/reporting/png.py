"""Charts as PNG images for the email (mail clients drop SVG and scripts), drawn in-process
with Pillow from the same layout as the page's SVG.

Text is drawn with the packaged font first: the subset of Noto Sans CJK SC that `make package`
builds (infra/fonts.py) and ships in the report compiler's Lambda layer, unpacked at
/opt/fonts (HUIXIANG_FONT_DIR elsewhere). It has one weight; bold text is drawn with a
one-pixel stroke. Without it, the first system font that covers Chinese (Noto Sans CJK,
WenQuanYi, PingFang, Microsoft YaHei), else DejaVu Sans, else Pillow's bundled font. A label
the font cannot draw falls back to its ASCII form, never to a row of empty boxes: Pillow's
bundled font (all a bare Lambda runtime has) has no ¥ and no Chinese, so there the charts say
"CNY 17,600.00" and "Tasting"; a character outside the subset (a rare hanzi in an org's name)
makes its label fall back the same way.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from typing import Any

from chalicelib.reporting import Chart
from chalicelib.reporting.charts import Line, Rect, Text, layout

SCALE = 2  # drawn at twice the size shown, so it stays sharp on high-density screens
PACKAGED_FONT = "NotoSansCJKsc-Huixiang-Regular.otf"  # infra/fonts.py writes it; the layer holds it
PACKAGED_DIRS = tuple(d for d in (os.environ.get("HUIXIANG_FONT_DIR"), "/opt/fonts") if d)
SYSTEM_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans{dejavu}.ttf",
)
_ANCHOR = {"start": "ls", "middle": "ms", "end": "rs"}
_SPELT = {"¥": "CNY ", "—": "-", "−": "-", "÷": "/", "×": "x"}


@functools.cache
def font_path(bold: bool = False) -> tuple[str, bool] | None:
    """The font file to draw with, and whether it lacks the weight (bold drawn with a stroke)."""
    for directory in PACKAGED_DIRS:
        path = Path(directory) / PACKAGED_FONT
        if path.is_file():
            return str(path), bold
    for pattern in SYSTEM_FONT_FILES:
        path_text = pattern.format(weight="Bold" if bold else "Regular", dejavu="-Bold" if bold else "")
        if Path(path_text).is_file():
            return path_text, False
    return None


@functools.cache
def font(size: int, bold: bool = False) -> Any:
    from PIL import ImageFont

    found = font_path(bold)
    if found is None:
        return ImageFont.load_default(size)
    # Noto's collection holds JP, KR, SC, TC, HK in that order: Chinese reports want SC's glyphs
    index = 2 if found[0].endswith(".ttc") and "NotoSansCJK" in found[0] else 0
    return ImageFont.truetype(found[0], size, index=index)


def reset() -> None:
    """Look for fonts again (after the packaged or system fonts changed: tests)."""
    font_path.cache_clear()
    font.cache_clear()
    _missing.cache_clear()


def stroke(bold: bool) -> int:
    """The stroke that makes a font without a bold weight draw bold text."""
    found = font_path(bold)
    return SCALE // 2 if found is not None and found[1] else 0


@functools.lru_cache(maxsize=4096)
def _missing(font_obj: Any, ch: str) -> bool:
    """True when the font has no glyph for `ch` (it would draw the same box as a non-character)."""
    if ch.isspace() or ord(ch) < 0x80:
        return False
    return _glyph(font_obj, ch) == _glyph(font_obj, "\uffff")


def _glyph(font_obj: Any, ch: str) -> bytes:
    from PIL import Image, ImageDraw

    size = int(font_obj.size * 2)
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).text((0, 0), ch, font=font_obj, fill=255)
    return image.tobytes()


def drawable(font_obj: Any, s: str) -> bool:
    return not any(_missing(font_obj, ch) for ch in s)


def label(shape: Text, font_obj: Any) -> str:
    """The text to draw: the shape's own; where the font lacks a glyph, its ASCII form (the
    label's own, then symbols spelt out: CNY for ¥), and "?" for anything still missing."""
    if drawable(font_obj, shape.text):
        return shape.text
    out = shape.ascii or shape.text
    if not drawable(font_obj, out):
        out = "".join(_SPELT.get(ch, ch) for ch in out)
    return "".join("?" if _missing(font_obj, ch) else ch for ch in out)


def render(chart: Chart, width: int = 640) -> tuple[bytes, int, int]:
    """The chart as PNG bytes, with the width and height to show it at (CSS pixels)."""
    from PIL import Image, ImageDraw

    d = layout(chart, width)
    image = Image.new("RGB", (d.width * SCALE + 2 * SCALE, d.height * SCALE + 2 * SCALE), "white")
    draw = ImageDraw.Draw(image)

    def px(v: float) -> float:
        return (v + 1) * SCALE

    for s in d.shapes:
        if isinstance(s, Rect):  # a bar thinner than a pixel (a tiny value beside a large one) is one pixel
            x0, y0 = px(s.x), px(s.y)
            draw.rectangle([x0, y0, max(x0, px(s.x + s.w) - 1), max(y0, px(s.y + s.h) - 1)], fill=s.fill)
        elif isinstance(s, Line):
            draw.line([px(s.x1), px(s.y1), px(s.x2), px(s.y2)], fill=s.stroke, width=SCALE // 2 or 1)
        elif isinstance(s, Text):
            f = font(round(s.size * SCALE), s.bold)
            width = stroke(s.bold)
            draw.text(
                (px(s.x), px(s.y)),
                label(s, f),
                font=f,
                fill=s.fill,
                anchor=_ANCHOR[s.anchor],
                stroke_width=width,
                stroke_fill=s.fill if width else None,
            )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue(), d.width + 2, d.height + 2
