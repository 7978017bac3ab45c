"""The font the report charts draw Chinese with in production, built at `make package`.

    python -m infra.fonts [--out build]

A bare Lambda runtime has no CJK font, so without one the email's PNG charts fall back to
ASCII labels. This builds a subset of Noto Sans CJK SC (SIL Open Font License 1.1), taken from
Debian's fonts-noto-cjk (the Makefile installs it when missing), with fontTools' subsetter
(pinned in requirements-dev.txt), and zips it as the report compiler's Lambda layer:
`build/report-fonts.zip` holds `fonts/NotoSansCJKsc-Huixiang-Regular.otf` and the license,
unpacked by Lambda at /opt/fonts, where reporting/png.py looks first. Only the function that
compiles reports (OnReportRequested) carries the layer (infra/template.yaml).

The glyphs: every character of the report's words (reporting/words.py, both languages),
printable ASCII, Latin-1 (¥, ×, ·), general and CJK punctuation, full-width forms, and the
3,755 hanzi of GB 2312 level 1 (the common characters, sorted by reading: what customer,
org and campaign names are mostly written with), one weight. A character outside them (a
rarer hanzi in a name) is not in the font; its chart label falls back to its ASCII form
(reporting/png.py). GB 2312 level 2 as well (6,763 hanzi) would make the font 1.8 times
larger for characters names seldom use.

Subsetting the 19 MB collection takes about a minute on a busy machine, so the result is kept
beside a fingerprint of its inputs (the glyph list, fontTools' version, the source font) and
rebuilt only when one changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Sans CJK SC"
LICENSE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
FONT_NAME = "NotoSansCJKsc-Huixiang-Regular.otf"  # reporting/png.py: PACKAGED_FONT
LAYER_ZIP = "report-fonts.zip"
RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0xFF),  # Latin-1: ¥, ·, ×, ÷
    (0x2010, 0x2027),  # dashes, quotes, …
    (0x2030, 0x203B),  # ‰, ※
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus
    (0x3000, 0x301F),  # CJK punctuation: 、。〈〉《》「」【】
    (0xFF01, 0xFF5E),  # full-width forms: ，：；（）！？％
    (0xFFE5, 0xFFE5),  # full-width ¥
)


def gb2312_level1() -> str:
    """The 3,755 common hanzi of GB 2312 (rows 16–55), from Python's own codec."""
    out = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                out.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(out)


def glyph_text() -> str:
    """Every character the packaged font covers, sorted, once."""
    from chalicelib.reporting.words import WORDS

    chars = set(gb2312_level1())
    for first, last in RANGES:
        chars.update(chr(c) for c in range(first, last + 1))
    for zh, en in WORDS.values():
        chars.update(zh + en)
    return "".join(sorted(ch for ch in chars if ch.isprintable()))


def _fingerprint(text: str, source: Path) -> str:
    import fontTools

    stat = source.stat()
    parts = [text, fontTools.version, str(source), str(stat.st_size), str(int(stat.st_mtime))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _collection_index(source: Path) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(source), lazy=True)
    for i, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return i
    raise SystemExit(f"{source} has no {SOURCE_FAMILY}")


def build_font(out_dir: Path, source: Path = SOURCE) -> Path:
    """The subset font in `out_dir` (built again only when its inputs changed)."""
    if not source.is_file():
        raise SystemExit(f"{source} is missing: install Debian's fonts-noto-cjk (make package does)")
    from fontTools import subset
    from fontTools.ttLib import TTFont

    out_dir.mkdir(parents=True, exist_ok=True)
    target, stamp = out_dir / FONT_NAME, out_dir / (FONT_NAME + ".json")
    text = glyph_text()
    fingerprint = _fingerprint(text, source)
    if target.is_file() and stamp.is_file() and json.loads(stamp.read_text())["fingerprint"] == fingerprint:
        return target
    font = TTFont(str(source), fontNumber=_collection_index(source), lazy=True)
    options = subset.Options()
    options.layout_features = ["*"]  # punctuation alignment (halt, vert) and the rest, as the family has them
    options.name_IDs = ["*"]  # keep the copyright and license entries
    options.hinting = False  # Pillow renders with FreeType's autohinter anyway
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    partial = target.with_suffix(".part")
    font.save(str(partial))
    partial.replace(target)
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "characters": len(text)}))
    return target


def build_layer(out: Path, source: Path = SOURCE) -> Path:
    """`out/report-fonts.zip`: the layer of the report compiler (fonts/ unpacks to /opt/fonts)."""
    font = build_font(out / "fonts", source)
    layer = out / LAYER_ZIP
    with zipfile.ZipFile(layer.with_suffix(".part"), "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(font, f"fonts/{FONT_NAME}")
        if LICENSE.is_file():
            zf.write(LICENSE, "fonts/LICENSE-NotoSansCJK.txt")  # the OFL, as Debian ships it
    layer.with_suffix(".part").replace(layer)
    return layer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build"))
    args = parser.parse_args(argv)
    layer = build_layer(Path(args.out))
    font = Path(args.out) / "fonts" / FONT_NAME
    print(f"{layer} ({layer.stat().st_size:,} bytes; the font {font.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
