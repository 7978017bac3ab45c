"""What an uploaded file really is, decided from its bytes; and, for photos, what they tell.

Pure functions (bytes in, an `Inspection` out, no I/O). Pillow and zipfile are imported inside
the functions that use them, so importing this module (the API does, for the upload limits)
stays cheap.

Speed: a JPEG is decoded in Pillow's draft mode (libjpeg's DCT scaling, 1/2 … 1/8), which
still reads and entropy-decodes the whole stream (so truncation and corruption are caught)
but skips most of the inverse DCT and colour work. One decode serves every check: it is made at
the largest scale that keeps the long side at least QR_DECODE_SIDE pixels (1/2 of a 12-MP
photo), where an invoice's QR code is read; the thumbnail and the perceptual hash are made from
it reduced to the scale they always used (1/8 of a 12-MP photo). At 1/4 the QR code of an
invoice filling less than ~90 % of the frame is lost (none found, not even a damaged one), so
the price is paid. Measured on a noisy 3-MB 12-MP phone JPEG (bench.invoices), the decode
takes ~35 ms at 1/8 and ~47 ms at 1/2 (the chroma is ~6 ms of that: luma alone would take
~42 ms, but the thumbnail is in colour), the luma copy and the QR search's quick look ~2 ms,
reducing for the photo checks ~2.5 ms: the inspection with the search costs about 1.47× the one
without (`invoice_qr_overhead_ratio`), the whole checker a little less; a photo without a code
(both passes of the search) about 1.65×.

Invoice QR codes (`Inspection.invoice_qr`): zxing-cpp reads the QR codes of every image and of
the first page of every PDF (pypdfium2 renders it, at most PDF_RENDER_PIXELS); the text of the
first that is an invoice's QR (domain/invoices.py) is kept. Both libraries are imported inside
the functions that use them (find_invoice_qr, pdf_invoice_qr), so only the checker loads them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import mul
from typing import TYPE_CHECKING, Any

from chalicelib.domain.invoices import is_invoice_qr

if TYPE_CHECKING:
    from PIL import Image

# -- what may be uploaded (API.md) -----------------------------------------------------------
MB = 1024 * 1024
PHOTO_TYPES = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/heic": "heic",
    "image/heif": "heic",
    "image/webp": "webp",
}
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
MAX_PHOTO_BYTES = 15 * MB
MAX_DOCUMENT_BYTES = 25 * MB

# -- limits against decompression bombs --------------------------------------------------------
MAX_PIXELS = 64_000_000  # JPEG is decoded at 1/2 (1/4 when huge) in draft mode: 64 MP costs ≤ 16 MP
MAX_FULL_DECODE_PIXELS = 40_000_000  # PNG/WebP decode at full size (~160 MB RGBA at the limit)
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_TOTAL = 300 * MB  # uncompressed, all entries together
MAX_ZIP_RATIO = 200  # per entry, uncompressed ÷ compressed, above 1 MB uncompressed
THUMBNAIL_PX = 320
CROP_VARIANT = 0.05  # see phash_crop
# -- invoice QR codes --------------------------------------------------------------------------
QR_DECODE_SIDE = 1500  # a JPEG's long side, at least, where QR codes are looked for (1/2 of a 12-MP photo)
QR_MAX_SIDE = 3000  # a larger image (a PNG or WebP screenshot) is reduced to this for the search
PDF_RENDER_PIXELS = 2_000_000  # a PDF's first page is rendered at most this large (an A4 page ≈ 144 dpi)
PDF_MAX_SCALE = 4.0  # nor more than 4× its size in points (288 dpi), however small the page


def kind_of(content_type: str) -> str | None:
    if content_type in PHOTO_TYPES:
        return "photo"
    if content_type in DOCUMENT_TYPES:
        return "document"
    return None


def max_bytes(content_type: str) -> int:
    return MAX_PHOTO_BYTES if content_type in PHOTO_TYPES else MAX_DOCUMENT_BYTES


_UNSAFE = re.compile(r"[^\w.\- ()\[\]+,@]", re.UNICODE)


def sanitise_filename(name: str) -> str:
    """A display name only (never part of a key): no path, no control or odd characters."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    while ".." in name:
        name = name.replace("..", ".")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:120]
    return name or "file"


# -- the verdict ---------------------------------------------------------------------------------
# Why the checker refuses a file: the attachment's `reason_code` (its `reason` is the English
# sentence, for people and logs). Clients translate by the code and `reason_params`; adding a
# reason is adding it here and to the console's tables (tests/unit/test_error_codes.py).
REJECTIONS: dict[str, str] = {
    "larger_than_declared": "the upload is larger than the size declared; params `size`, `declared`, `unit`",
    "smaller_than_declared": "the upload is smaller than declared (interrupted?); params `size`, `declared`, `unit`",
    "changed_while_checked": "the upload changed while it was being checked",
    "unknown_file_type": "not a JPEG, PNG, HEIC, WebP, PDF or Office document",
    "not_the_declared_type": "another kind of file than declared; params `detected`, `declared`",
    "polyglot": "an image that also carries another format; params `carries`",
    "pdf_truncated": "a PDF without its end-of-file marker",
    "pdf_active_content": "a PDF that is encrypted or carries scripts or launch actions",
    "document_encrypted": "an encrypted Office document",
    "zip_bomb": "a document that expands too far; params `max_parts`, `max_mb` or `max_ratio`",
    "corrupt": "a file that cannot be read; params `detected`",
    "too_many_pixels": "an image over the pixel limit (a decompression bomb?); params `max_megapixels`",
    "animated": "an animated image",
    "hash_mismatch": "bytes other than those the client declared (their SHA-256 differs); params `declared`, `actual`",
}


class Rejected(Exception):
    """The file is not acceptable: `code` (one of REJECTIONS) and `params` for clients, the
    message for people and logs."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass
class Inspection:
    detected: str  # jpeg | png | webp | heic | pdf | docx | xlsx | pptx
    width: int | None = None
    height: int | None = None
    taken_at: str | None = None  # ISO local time from EXIF DateTimeOriginal
    gps: dict[str, float] | None = None  # {"lat": …, "lon": …}
    has_exif_time: bool = False
    has_exif_gps: bool = False
    thumbnail: bytes | None = None  # JPEG
    phash: str | None = None  # 16 hex digits
    phash_crop: str | None = None  # the hash of the centre (5% off each side): matches light crops
    analysed: bool = True  # False: accepted by signature only (HEIC)
    notes: list[str] = field(default_factory=list)
    invoice_qr: str | None = None  # the text of the first invoice QR code found in it


def inspect(data: bytes, declared_type: str, find_qr: bool = True) -> Inspection:
    """Accept or reject (raise Rejected) `data`, declared as `declared_type`. `find_qr=False`
    leaves out the invoice QR search and decodes a JPEG as small as the other checks allow (as
    the checker did before it looked for QR codes: bench.invoices compares the two)."""
    detected = sniff(data)
    expected = PHOTO_TYPES.get(declared_type) or DOCUMENT_TYPES.get(declared_type)
    if detected is None:
        raise Rejected("unknown_file_type", "the file is not a JPEG, PNG, HEIC, WebP, PDF or Office document")
    if detected != expected:
        raise Rejected(
            "not_the_declared_type",
            f"the file is a {detected.upper()}, not the declared {declared_type}",
            detected=detected,
            declared=declared_type,
        )
    if detected in ("jpeg", "png", "webp"):
        _check_polyglot(data)
        return inspect_photo(data, detected, find_qr)
    if detected == "heic":
        _check_polyglot(data)
        return Inspection(
            detected="heic", analysed=False, notes=["HEIC is accepted by its signature; no thumbnail, EXIF or hash"]
        )
    if detected == "pdf":
        _check_pdf(data)
        return Inspection(detected="pdf", invoice_qr=pdf_invoice_qr(data) if find_qr else None)
    _check_ooxml(data, detected)
    return Inspection(detected=detected)


_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avci"}


def sniff(data: bytes) -> str | None:
    """The type from magic bytes only."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and len(data) >= 16:
        size = int.from_bytes(data[:4], "big")
        brands = [data[8:12]] + [data[i : i + 4] for i in range(16, min(size, 64), 4)]
        if any(b in _HEIC_BRANDS for b in brands):
            return "heic"
        return None
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return _ooxml_kind(data)
    return None


def _ooxml_kind(data: bytes) -> str | None:
    import zipfile

    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"  # a zip, but not a readable Office document
    if "[Content_Types].xml" not in names:
        return "zip"
    for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
        if any(n.startswith(prefix) for n in names):
            return kind
    return "zip"


_FOREIGN = (b"<html", b"<script", b"<?php", b"<svg", b"<!doctype", b"%pdf-")


def _check_polyglot(data: bytes) -> None:
    """Refuse an image that is also another format: a second reader would see something else.

    ZIP readers look for the end-of-central-directory record at the end of the file; PDF
    readers accept a header anywhere in the first KB; browsers sniff markup in the first bytes.
    """
    tail = data[-65_557:]
    if b"PK\x05\x06" in tail or b"PK\x03\x04" in tail:
        raise Rejected("polyglot", "the image also carries a ZIP archive (a polyglot file)", carries="zip")
    head = data[:1024].lower()
    for marker in _FOREIGN:
        if marker in head:
            carries = marker.decode().strip("<").upper()
            raise Rejected("polyglot", f"the image also carries {carries} content (a polyglot file)", carries=carries)
    if b"%pdf-" in data[-2048:].lower() or b"%%eof" in data[-1024:].lower():
        raise Rejected("polyglot", "the image also carries a PDF document (a polyglot file)", carries="pdf")


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-1024:]:
        raise Rejected("pdf_truncated", "the PDF is truncated (no end-of-file marker)")
    if b"/Encrypt" in data[-4096:] or b"/JavaScript" in data or b"/Launch" in data:
        raise Rejected("pdf_active_content", "the PDF is encrypted or carries scripts or launch actions")


def _check_ooxml(data: bytes, detected: str) -> None:
    """Walk every entry, decompressing in chunks with a running cap: sizes in the zip headers
    can lie, so only the real expansion counts. CRCs are checked on the way (corruption)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise Rejected(
                "zip_bomb",
                f"the document has more than {MAX_ZIP_ENTRIES} parts (a zip bomb?)",
                max_parts=MAX_ZIP_ENTRIES,
            )
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise Rejected("document_encrypted", "the document is encrypted")
            produced = 0
            with archive.open(info) as part:
                while chunk := part.read(1 << 16):
                    produced += len(chunk)
                    total += len(chunk)
                    if total > MAX_ZIP_TOTAL:
                        raise Rejected(
                            "zip_bomb",
                            f"the document expands to more than {MAX_ZIP_TOTAL // MB} MB (a zip bomb)",
                            max_mb=MAX_ZIP_TOTAL // MB,
                        )
                    if produced > MB and produced > MAX_ZIP_RATIO * max(info.compress_size, 1):
                        raise Rejected(
                            "zip_bomb",
                            f"a part of the document expands more than {MAX_ZIP_RATIO}× (a zip bomb)",
                            max_ratio=MAX_ZIP_RATIO,
                        )
    except Rejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise Rejected("corrupt", f"the {detected} document is corrupt ({exc})", detected=detected) from None


# -- photos ------------------------------------------------------------------------------------
def inspect_photo(data: bytes, detected: str, find_qr: bool = True) -> Inspection:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    limit = MAX_PIXELS if detected == "jpeg" else MAX_FULL_DECODE_PIXELS
    try:
        img: Image.Image = Image.open(io.BytesIO(data))
        width, height = img.size
        if width * height > limit:
            raise Rejected(
                "too_many_pixels",
                f"the image is {width}×{height} pixels, over the {limit // 1_000_000} MP limit (a decompression bomb?)",
                max_megapixels=limit // 1_000_000,
            )
        if getattr(img, "n_frames", 1) > 1:
            raise Rejected("animated", "animated images are not photos")
        exif = img.getexif()
        reduce_by = 1
        if detected == "jpeg":
            thumb_scale = _dct_scale(min(width, height), THUMBNAIL_PX)  # as draft((320, 320)) picks it
            scale = _dct_scale(max(width, height), QR_DECODE_SIDE) if find_qr else thumb_scale
            # luma and chroma as decoded: the QR search reads the luma, only the reduced image is converted
            img.draft("YCbCr" if find_qr else "RGB", (width // scale, height // scale))
            reduce_by = thumb_scale // scale  # the thumbnail and the hashes at the scale they always had
        img.load()  # decodes every byte: truncation shows here
    except Rejected:
        raise
    except Image.DecompressionBombError:
        raise Rejected(
            "too_many_pixels",
            "the image is over the pixel limit (a decompression bomb)",
            max_megapixels=limit // 1_000_000,
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise Rejected(
            "corrupt", f"the {detected.upper()} image is corrupt or truncated ({exc})", detected=detected
        ) from None

    result = Inspection(detected=detected, width=width, height=height)
    _read_exif(exif, result)
    if find_qr:
        result.invoice_qr = find_invoice_qr(img)
    img = img.reduce(reduce_by) if reduce_by > 1 else img
    img = ImageOps.exif_transpose(img) if exif.get(0x0112, 1) in range(2, 9) else img
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGBA").convert("RGB") if "A" in img.mode or img.mode == "P" else img.convert("RGB")
    result.phash = phash(img)
    w, h = img.size
    dx, dy = int(w * CROP_VARIANT), int(h * CROP_VARIANT)
    result.phash_crop = phash(img.crop((dx, dy, w - dx, h - dy))) if result.phash else None
    thumb = img.copy()
    thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80, optimize=False)
    result.thumbnail = out.getvalue()
    return result


def _dct_scale(length: int, at_least: int) -> int:
    """The largest JPEG DCT scale (1, 2, 4, 8) that keeps `length` pixels at least `at_least`."""
    scale = 8
    while scale > 1 and length // scale < at_least:
        scale //= 2
    return scale


# -- invoice QR codes ----------------------------------------------------------------------------
def find_invoice_qr(img: Image.Image) -> str | None:
    """The text of the first invoice QR code in the pixels the checker decoded (any rotation:
    zxing-cpp looks for it), or None. An image larger than QR_MAX_SIDE is reduced first.

    zxing reads the luma plane directly (one copy, no PIL round trip). First the quick look: the
    first QR code found at a fixed threshold, which reads the dark code on light paper of nearly
    every invoice photo in a fraction of the time. If that is no invoice's, every QR code zxing
    finds with its local-average binariser and downscaled passes (uneven light, glare, small
    codes), as before: the second pass is the search as it was, so the found rate cannot drop,
    and a photo without an invoice QR pays both (bench.invoices measures both kinds)."""
    import zxingcpp

    grey = img if img.mode in ("L", "YCbCr") else img.convert("L")
    factor = math.ceil(max(grey.size) / QR_MAX_SIDE)
    if factor > 1:
        grey = grey.reduce(factor)
    width, height = grey.size
    luma = memoryview(grey.tobytes("raw", "Y") if grey.mode == "YCbCr" else grey.tobytes()).cast("B", (height, width))
    quick = zxingcpp.read_barcode(
        luma, formats=zxingcpp.BarcodeFormat.QRCode, binarizer=zxingcpp.Binarizer.FixedThreshold, try_downscale=False
    )
    if quick is not None and is_invoice_qr(str(quick.text)):
        return str(quick.text).strip()
    for code in zxingcpp.read_barcodes(luma, formats=zxingcpp.BarcodeFormat.QRCode):
        text = str(code.text)
        if is_invoice_qr(text):
            return text.strip()
    return None


_PDFIUM = threading.Lock()  # PDFium is not thread-safe; the local stack checks uploads in threads


def pdf_invoice_qr(data: bytes) -> str | None:
    """The invoice QR code on a PDF's first page (rendered in grey at most PDF_RENDER_PIXELS),
    or None. A PDF that PDFium cannot open is not a PDF: Rejected `corrupt`."""
    import pypdfium2

    with _PDFIUM:
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise Rejected("corrupt", f"the PDF cannot be read ({exc})", detected="pdf") from None
        try:
            if len(pdf) == 0:
                return None
            page = pdf[0]
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                return None
            scale = _render_scale(width, height)
            image = page.render(scale=scale, grayscale=True).to_pil()
        except pypdfium2.PdfiumError as exc:
            raise Rejected("corrupt", f"the PDF's first page cannot be read ({exc})", detected="pdf") from None
        finally:
            pdf.close()
    return find_invoice_qr(image)


def _render_scale(width: float, height: float) -> float:
    """The scale rendering a page of `width` × `height` points within PDF_RENDER_PIXELS (PDFium
    rounds each side up) and PDF_MAX_SCALE."""
    scale = min(PDF_MAX_SCALE, math.sqrt(PDF_RENDER_PIXELS / (width * height)))
    while math.ceil(width * scale) * math.ceil(height * scale) > PDF_RENDER_PIXELS:
        scale *= 0.995
    return scale


def _read_exif(exif: Image.Exif, result: Inspection) -> None:
    """DateTimeOriginal and GPS, tolerating every kind of garbage a camera or a forger writes."""
    try:
        sub = exif.get_ifd(0x8769)
    except Exception:  # a broken sub-IFD is missing EXIF, not a broken photo
        sub = {}
    raw = sub.get(36867) or sub.get(36868) or exif.get(306)
    result.taken_at = _exif_time(raw)
    result.has_exif_time = result.taken_at is not None
    try:
        gps = exif.get_ifd(0x8825)
    except Exception:  # a broken GPS IFD is missing GPS, as above
        gps = {}
    result.gps = _exif_gps(gps)
    result.has_exif_gps = result.gps is not None


def _exif_time(raw: object) -> str | None:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    try:
        value = dt.datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not 1990 <= value.year <= 2100:
        return None
    return value.isoformat()


def _dms(value: Any) -> float | None:
    try:
        parts = [float(v) for v in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if len(parts) != 3 or any(math.isnan(p) or math.isinf(p) or p < 0 for p in parts):
        return None
    degrees, minutes, seconds = parts
    if minutes >= 60 or seconds >= 60:
        return None
    return degrees + minutes / 60 + seconds / 3600


def _exif_gps(gps: Mapping[int, Any]) -> dict[str, float] | None:
    if not gps:
        return None
    lat, lon = _dms(gps.get(2)), _dms(gps.get(4))
    lat_ref, lon_ref = gps.get(1), gps.get(3)
    if lat is None or lon is None:
        return None
    lat_ref = lat_ref.decode("ascii", "replace") if isinstance(lat_ref, bytes) else lat_ref
    lon_ref = lon_ref.decode("ascii", "replace") if isinstance(lon_ref, bytes) else lon_ref
    if lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None
    lat, lon = (-lat if lat_ref == "S" else lat), (-lon if lon_ref == "W" else lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # (0, 0) is what a phone without a fix writes
    return {"lat": round(lat, 6), "lon": round(lon, 6)}


# -- the perceptual hash -----------------------------------------------------------------------
_N, _K = 32, 8
_COS = [[math.cos(math.pi * (2 * x + 1) * u / (2 * _N)) for x in range(_N)] for u in range(_K)]


def phash(img: Image.Image) -> str | None:
    """64-bit DCT pHash: 32×32 grey, the 8×8 lowest frequencies, each bit = coefficient above
    their median. Robust to re-encoding, resizing and light crops; None for a featureless image
    (all its hashes would collide in the index and match each other)."""
    from PIL import Image

    grey = img.convert("L").resize((_N, _N), Image.Resampling.BOX)
    px = list(grey.getdata())
    rows = [px[i * _N : (i + 1) * _N] for i in range(_N)]
    # separable DCT-II, only the K lowest frequencies in each direction
    partial = [[sum(map(mul, _COS[u], row)) for u in range(_K)] for row in rows]  # rows × K
    columns = [[partial[y][u] for y in range(_N)] for u in range(_K)]
    coeffs = [sum(map(mul, _COS[v], columns[u])) for v in range(_K) for u in range(_K)]
    ac = coeffs[1:]
    if max(abs(c) for c in ac) < 1e-6 * max(abs(coeffs[0]), 1.0) + 50:
        return None
    median = sorted(ac)[len(ac) // 2]
    bits = 0
    for c in coeffs:
        bits = (bits << 1) | (1 if c > median else 0)
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


# -- the bytes themselves --------------------------------------------------------------------------
def sha256_of(data: bytes) -> str:
    """Lowercase hex SHA-256 of the stored bytes: what the audit trail commits to."""
    return hashlib.sha256(data).hexdigest()


def check_declared_hash(declared: str | None, actual: str) -> None:
    """Bytes other than those the client said it would upload are refused (`hash_mismatch`)."""
    if declared is not None and declared != actual:
        raise Rejected(
            "hash_mismatch",
            f"the upload's SHA-256 is {actual}, not the {declared} declared when it was requested",
            declared=declared,
            actual=actual,
        )
