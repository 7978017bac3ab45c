"""Charts as inline SVG for the HTML page: crisp at any zoom, text the browser draws with the
page's font stack (so Chinese labels use whichever CJK font the reader has)."""

from __future__ import annotations

from html import escape

from chalicelib.reporting import Chart
from chalicelib.reporting.charts import Line, Rect, Text, layout

FONT_STACK = (
    "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans CJK SC', 'Noto Sans SC', "
    "'Source Han Sans SC', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'WenQuanYi Micro Hei', "
    "sans-serif"
)
_ANCHOR = {"start": "start", "middle": "middle", "end": "end"}


def render(chart: Chart, width: int = 720) -> str:
    d = layout(chart, width)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {d.width} {d.height}" width="{d.width}" '
        f'height="{d.height}" role="img" aria-label="{escape(d.title)}" '
        f'style="max-width:100%;height:auto;font-family:{FONT_STACK}">'
    ]
    for s in d.shapes:
        if isinstance(s, Rect):
            tip = f"<title>{escape(s.tip)}</title>" if s.tip else ""
            parts.append(
                f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" fill="{s.fill}">{tip}</rect>'
            )
        elif isinstance(s, Line):
            parts.append(
                f'<line x1="{s.x1:.1f}" y1="{s.y1:.1f}" x2="{s.x2:.1f}" y2="{s.y2:.1f}" '
                f'stroke="{s.stroke}" stroke-width="1"/>'
            )
        elif isinstance(s, Text):
            weight = ' font-weight="bold"' if s.bold else ""
            parts.append(
                f'<text x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size:g}" '
                f'text-anchor="{_ANCHOR[s.anchor]}" fill="{s.fill}"{weight}>{escape(s.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
