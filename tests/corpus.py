"""A generated evidence corpus: store-display "photos" made with Pillow, their re-encoded,
resized and cropped copies, different photos of similar scenes, and hostile files.

Deterministic (seeded), small, and built in memory, so tests and benchmarks need no fixtures
on disk.
"""

from __future__ import annotations

import io
import math
import random
import struct
import zipfile
import zlib
from fractions import Fraction


def scene(seed: int, size: tuple[int, int] = (1024, 768), shift: int | None = None):
    """A shop-display scene: wall and floor, shelves, products, a poster, light falloff.

    Scenes with the same `seed` and a different `shift` are *similar scenes* (same store, same
    shelves and palette, products rearranged, camera moved): they must not match as duplicates.
    """
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(seed)
    w, h = size
    wall = tuple(rnd.randint(150, 235) for _ in range(3))
    floor = tuple(rnd.randint(60, 140) for _ in range(3))
    img = Image.new("RGB", size, wall)
    d = ImageDraw.Draw(img)
    d.rectangle([0, int(h * 0.72), w, h], fill=floor)
    palette = [tuple(rnd.randint(0, 255) for _ in range(3)) for _ in range(6)]
    layout = random.Random(seed * 7919 + (shift or 0) * 104729 + 1)
    # the camera: a moved viewpoint shifts and scales the whole shelf unit
    ox = layout.randint(-w // 5, w // 5) if shift else 0
    scale = layout.uniform(0.75, 1.25) if shift else 1.0
    shelves = rnd.randint(3, 5)
    left, right = int(w * 0.1 * scale) + ox, int(w * 0.9 * scale) + ox
    for s in range(shelves):
        y = int(h * (0.15 + 0.55 * s / shelves))
        d.rectangle([left, y + int(h * 0.1), right, y + int(h * 0.115)], fill=(90, 70, 50))
        x = left
        while x < right - 20:
            pw, ph = layout.randint(20, 60), layout.randint(30, int(h * 0.09))
            d.rectangle([x, y + int(h * 0.1) - ph, x + pw, y + int(h * 0.1)], fill=layout.choice(palette))
            x += pw + layout.randint(2, 12)
    px, py = layout.randint(0, w - w // 4), layout.randint(0, h // 6)
    d.rectangle([px, py, px + w // 4, py + h // 6], fill=layout.choice(palette))
    d.ellipse([px + 10, py + 10, px + w // 8, py + h // 8], fill=layout.choice(palette))
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise(size, 18).convert("RGB")
    return Image.blend(img, noise, 0.06)


def jpeg(img, quality: int = 90, exif=None) -> bytes:
    out = io.BytesIO()
    kwargs = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif
    img.save(out, "JPEG", **kwargs)
    return out.getvalue()


def png(img) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=1)  # lossless at any level: the fastest keeps test runs short
    return out.getvalue()


def webp(img, quality: int = 80) -> bytes:
    out = io.BytesIO()
    img.save(out, "WEBP", quality=quality)
    return out.getvalue()


def _rational(value: float) -> Fraction:
    return Fraction(value).limit_denominator(1_000_000)


def exif(
    taken_at: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    orientation: int | None = None,
    raw_gps: dict | None = None,
):
    """An EXIF block: DateTimeOriginal ("2026:11:02 10:30:00"), GPS, Orientation."""
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    e = Image.Exif()
    if orientation:
        e[0x0112] = orientation
    if taken_at:
        e.get_ifd(0x8769)[36867] = taken_at
    if raw_gps is not None:
        e.get_ifd(0x8825).update(raw_gps)
    elif lat is not None and lon is not None:

        def dms(v: float):
            v = abs(v)
            deg = int(v)
            minutes = int((v - deg) * 60)
            sec = (v - deg - minutes / 60) * 3600
            return (IFDRational(deg, 1), IFDRational(minutes, 1), IFDRational(round(sec * 1000), 1000))

        gps = e.get_ifd(0x8825)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), dms(lat)
        gps[3], gps[4] = ("E" if lon >= 0 else "W"), dms(lon)
    return e


# -- copies a fraudster makes ------------------------------------------------------------------
def reencoded(img, quality: int = 60) -> bytes:
    return jpeg(img, quality=quality)


def resized(img, factor: float = 0.5) -> bytes:
    from PIL import Image

    w, h = img.size
    return jpeg(img.resize((int(w * factor), int(h * factor)), Image.Resampling.LANCZOS), quality=85)


def cropped(img, fraction: float = 0.05) -> bytes:
    """Cut `fraction` off each side: a light crop."""
    w, h = img.size
    dx, dy = int(w * fraction), int(h * fraction)
    return jpeg(img.crop((dx, dy, w - dx, h - dy)), quality=88)


def as_png(img) -> bytes:
    return png(img)


# -- hostile files -----------------------------------------------------------------------------
def polyglot_jpeg_zip(img) -> bytes:
    """A JPEG with a ZIP appended: image viewers show a photo, unzip sees an archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return jpeg(img) + out.getvalue()


def truncated_jpeg(img) -> bytes:
    data = jpeg(img)
    return data[: len(data) * 2 // 3]


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG header for 900 MP of zeros in a few hundred KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    raw = b"".join(compressor.compress(row) for _ in range(min(height, 2000))) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def jpeg_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A small JPEG whose frame header claims `width` × `height` pixels (400 MP by default)."""
    from PIL import Image

    data = bytearray(jpeg(Image.new("RGB", (16, 16), (200, 200, 200))))
    sof = data.index(b"\xff\xc0")  # baseline frame: length(2) precision(1) height(2) width(2)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def docx(text: str = "Display report") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(
            "word/document.xml", f"<w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
        )
    return out.getvalue()


def docx_bomb(megabytes: int = 400) -> bytes:
    """An OOXML-looking zip whose one part inflates ~1000×."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as part:
            block = b"\x00" * (1 << 20)
            for _ in range(megabytes):
                part.write(block)
    return out.getvalue()


def pdf(objects: list[bytes] | None = None) -> bytes:
    """A real one-page PDF (blank A5 landscape unless `objects` replace its page's objects 3…),
    with a correct cross-reference table: what PDFium, like any reader, opens."""
    objs = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        *(objects or [b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 420]>>"]),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


# -- invoices: photos and PDFs with an invoice's QR code ---------------------------------------------
INVOICE_QR = "01,10,032001900111,12345678,1234.56,20261101,12345678901234567890,8A3C,"


def qr_image(text: str, module_px: int = 8):
    """The QR code of `text` (segno, error correction M as invoices print it), as a Pillow image."""
    import segno
    from PIL import Image

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=module_px, border=4)
    out.seek(0)
    return Image.open(out).convert("L")


def invoice_sheet(text: str | None, width: int = 1200, seed: int = 0):
    """A paper invoice (A5-like, 2.1 : 1.2): red rules and boxes of figures, and its QR code at the
    top left taking about 9 % of its width, as printed ones do (none when `text` is None)."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    height = int(width * 0.58)
    sheet = Image.new("RGB", (width, height), (246, 241, 230))
    d = ImageDraw.Draw(sheet)
    d.rectangle([width * 0.03, height * 0.25, width * 0.97, height * 0.92], outline=(170, 70, 60), width=3)
    for i in range(1, 9):
        y = height * (0.25 + 0.0833 * i)
        d.line([(width * 0.03, y), (width * 0.97, y)], fill=(190, 110, 100), width=2)
    for _ in range(40):  # figures and words
        x, y = rnd.uniform(0.05, 0.9) * width, rnd.uniform(0.28, 0.88) * height
        d.rectangle([x, y, x + rnd.uniform(0.02, 0.08) * width, y + height * 0.018], fill=(60, 60, 70))
    d.text((width * 0.42, height * 0.08), "INVOICE", fill=(170, 70, 60))
    if text is not None:
        code = qr_image(text)
        side = int(width * 0.09)
        sheet.paste(
            code.resize((side, side), Image.Resampling.NEAREST).convert("RGB"), (int(width * 0.04), int(height * 0.04))
        )
    return sheet


def invoice_photo(
    text: str | None,
    width: int = 4000,
    fill: float = 0.9,
    angle: float = 0.0,
    quality: int = 88,
    blur: float = 1.0,
    seed: int = 0,
    noise: float = 0.0,
) -> bytes:
    """A phone's photo (4:3 JPEG) of a paper invoice on a shop counter: the invoice, turned by
    `angle` degrees, fills `fill` of the frame (wholly in it, as someone photographing it to
    claim it frames it), then the lens's blur (Gaussian, in pixels), sensor noise (a blend of
    `noise`; 0.12 gives a phone's file size) and the JPEG quality."""
    from PIL import Image, ImageFilter

    height = width * 3 // 4
    a = math.radians(abs(angle))
    fits = min(width / (math.cos(a) + 0.58 * math.sin(a)), height / (math.sin(a) + 0.58 * math.cos(a)))
    flat = invoice_sheet(text, int(fits * fill), seed)
    sheet = flat.rotate(angle, expand=True, resample=Image.Resampling.BILINEAR)
    mask = Image.new("L", flat.size, 255).rotate(angle, expand=True)
    img = scene(seed + 11, (width // 4, height // 4)).resize((width, height), Image.Resampling.BILINEAR)
    img.paste(sheet, ((width - sheet.width) // 2, (height - sheet.height) // 2), mask)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        grain = Image.merge("RGB", [Image.effect_noise((width, height), 64) for _ in range(3)])
        img = Image.blend(img, grain, noise)
    return jpeg(img, quality=quality)


def invoice_pdf(text: str | None) -> bytes:
    """A one-page PDF of an invoice whose QR code holds `text` (Pillow's PDF writer)."""
    out = io.BytesIO()
    invoice_sheet(text, 1800).save(out, "PDF", resolution=200)
    return out.getvalue()
