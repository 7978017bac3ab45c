"""What the upload checker decides from bytes alone: real types, hostile files, photo metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from chalicelib.domain import filecheck as fc
from tests import corpus as C

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def photo():
    return C.scene(3, (800, 600))


def test_real_photos_of_every_raster_type_are_accepted_with_hash_and_thumbnail(photo):
    for data, declared in ((C.jpeg(photo), "image/jpeg"), (C.png(photo), "image/png"), (C.webp(photo), "image/webp")):
        found = fc.inspect(data, declared)
        assert found.phash and len(found.phash) == 16 and found.phash_crop
        thumb = Image.open(io.BytesIO(found.thumbnail))
        assert thumb.format == "JPEG" and max(thumb.size) == 320 and thumb.size == (320, 240)


def test_documents_are_recognised_by_content():
    assert fc.inspect(C.pdf(), "application/pdf").detected == "pdf"
    assert fc.inspect(C.docx(), DOCX).detected == "docx"


def test_heic_is_accepted_by_its_ftyp_box_without_analysis():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    found = fc.inspect(heic, "image/heic")
    assert found.detected == "heic" and found.analysed is False and found.phash is None


@pytest.mark.parametrize("declared", ["image/png", "application/pdf", DOCX])
def test_a_file_that_is_not_what_it_claims_is_rejected(photo, declared):
    with pytest.raises(fc.Rejected, match="is a JPEG, not the declared"):
        fc.inspect(C.jpeg(photo), declared)


def test_unknown_bytes_are_rejected():
    with pytest.raises(fc.Rejected, match="not a JPEG, PNG"):
        fc.inspect(b"<html><script>alert(1)</script></html>", "image/jpeg")


def test_polyglot_jpeg_with_a_zip_inside_is_rejected(photo):
    with pytest.raises(fc.Rejected, match="polyglot"):
        fc.inspect(C.polyglot_jpeg_zip(photo), "image/jpeg")


def test_jpeg_with_a_pdf_appended_is_rejected(photo):
    with pytest.raises(fc.Rejected, match="polyglot"):
        fc.inspect(C.jpeg(photo) + C.pdf(), "image/jpeg")


def test_truncated_jpeg_is_rejected(photo):
    with pytest.raises(fc.Rejected, match="corrupt or truncated"):
        fc.inspect(C.truncated_jpeg(photo), "image/jpeg")


def test_png_decompression_bomb_is_rejected_before_decoding():
    bomb = C.png_bomb()
    assert len(bomb) < 2 * fc.MB
    with pytest.raises(fc.Rejected, match="decompression bomb"):
        fc.inspect(bomb, "image/png")


def test_ooxml_zip_bomb_is_rejected():
    # a part that inflates ~1000×: refused once its first MB shows the ratio, however large it is
    # (40 MB builds in a tenth of the time 400 MB took; tests/functional uploads a 300 MB one)
    bomb = C.docx_bomb(40)
    assert len(bomb) < fc.MB // 10  # 40 MB of zeros in well under 100 KB
    with pytest.raises(fc.Rejected, match="expands more than 200× \\(a zip bomb\\)"):
        fc.inspect(bomb, DOCX)


def test_zip_that_is_not_an_office_document_is_rejected():
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as z:
        z.writestr("evil.exe", b"MZ")
    with pytest.raises(fc.Rejected, match="ZIP, not the declared"):
        fc.inspect(out.getvalue(), DOCX)


def test_truncated_pdf_is_rejected():
    with pytest.raises(fc.Rejected, match="truncated"):
        fc.inspect(C.pdf()[:-10], "application/pdf")


def test_exif_time_and_gps_become_iso_time_and_decimal_degrees(photo):
    data = C.jpeg(photo, exif=C.exif("2026:11:02 10:30:00", lat=32.0415, lon=-118.7849))
    found = fc.inspect(data, "image/jpeg")
    assert found.taken_at == "2026-11-02T10:30:00"
    assert found.gps == {"lat": pytest.approx(32.0415, abs=1e-5), "lon": pytest.approx(-118.7849, abs=1e-5)}


@pytest.mark.parametrize(
    "garbage",
    [
        {
            1: "N",
            2: (IFDRational(91, 1), IFDRational(0, 1), IFDRational(0, 1)),
            3: "E",
            4: (IFDRational(10, 1), IFDRational(0, 1), IFDRational(0, 1)),
        },  # latitude 91°
        {
            1: "X",
            2: (IFDRational(30, 1), IFDRational(0, 1), IFDRational(0, 1)),
            3: "E",
            4: (IFDRational(10, 1), IFDRational(0, 1), IFDRational(0, 1)),
        },  # bad reference
        {
            1: "N",
            2: (IFDRational(30, 0), IFDRational(0, 1), IFDRational(0, 1)),
            3: "E",
            4: (IFDRational(10, 1), IFDRational(0, 1), IFDRational(0, 1)),
        },  # zero denominator
        {
            1: "N",
            2: (IFDRational(30, 1), IFDRational(75, 1), IFDRational(0, 1)),
            3: "E",
            4: (IFDRational(10, 1), IFDRational(0, 1), IFDRational(0, 1)),
        },  # 75 minutes
        {1: "N", 2: (IFDRational(30, 1), IFDRational(1, 1)), 3: "E", 4: (IFDRational(10, 1),)},  # wrong counts
        {1: "N", 2: (IFDRational(0, 1),) * 3, 3: "E", 4: (IFDRational(0, 1),) * 3},  # no fix (0, 0)
    ],
)
def test_garbage_gps_is_ignored_not_fatal(photo, garbage):
    data = C.jpeg(photo, exif=C.exif("2026:11:02 10:30:00", raw_gps=garbage))
    found = fc.inspect(data, "image/jpeg")
    assert found.gps is None and found.taken_at == "2026-11-02T10:30:00" and found.phash


def test_garbage_exif_time_is_ignored(photo):
    found = fc.inspect(C.jpeg(photo, exif=C.exif("not a date")), "image/jpeg")
    assert found.taken_at is None and found.phash


def test_rotated_photo_gets_an_upright_thumbnail_and_the_same_hash_as_the_upright_one():
    upright = C.scene(5, (800, 600))
    # a phone stores the sensor's landscape pixels and says "rotate 90° clockwise to view"
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    found = fc.inspect(C.jpeg(stored, exif=C.exif(orientation=6)), "image/jpeg")
    plain = fc.inspect(C.jpeg(upright), "image/jpeg")
    thumb = Image.open(io.BytesIO(found.thumbnail))
    assert thumb.size == (320, 240)  # landscape again
    assert fc.hamming(found.phash, plain.phash) <= 4


def test_blank_image_has_no_hash_so_it_never_floods_the_index():
    found = fc.inspect(C.jpeg(Image.new("RGB", (640, 480), (200, 200, 200))), "image/jpeg")
    assert found.phash is None and found.thumbnail


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("photo\x00.jpg\r\n", "photo.jpg"),
        ("a/b/../店铺 陈列.jpg", "店铺 陈列.jpg"),
        ("....", "file"),
        ("x" * 300 + ".jpeg", "x" * 110 + ".jpeg"),
        ("evil<script>.png", "evil_script_.png"),
    ],
)
def test_filenames_are_sanitised(raw, expected):
    assert fc.sanitise_filename(raw) == expected


# -- invoice QR codes ----------------------------------------------------------------------------
@pytest.mark.parametrize("angle", [0, 17, -30])
def test_the_qr_code_of_a_photographed_invoice_is_read_at_any_angle(angle):
    found = fc.inspect(C.invoice_photo(C.INVOICE_QR, 2400, angle=angle), "image/jpeg")
    assert found.invoice_qr == C.INVOICE_QR.strip()
    assert found.phash and Image.open(io.BytesIO(found.thumbnail)).size[0] == 320  # the photo checks still made


def test_the_qr_code_of_an_invoice_in_the_shade_is_read_too():
    # a dim photo (the paper darker than mid-grey, where a fixed threshold sees only black) and
    # one in a light gradient (a shadow over half the code): the local binariser's pass reads them
    from PIL import ImageEnhance

    sharp = Image.open(io.BytesIO(C.invoice_photo(C.INVOICE_QR, 2400, fill=0.8)))
    dim = ImageEnhance.Brightness(sharp).enhance(0.4)
    shade = Image.linear_gradient("L").resize(sharp.size).point(lambda v: 60 + v * 195 // 255)
    shaded = Image.composite(sharp, Image.new("RGB", sharp.size), shade.rotate(90))
    for picture in (dim, shaded):
        assert fc.inspect(C.jpeg(picture), "image/jpeg").invoice_qr == C.INVOICE_QR.strip()


def test_a_photo_without_an_invoice_qr_has_none_nor_any_other_qr_taken_for_one(photo):
    assert fc.inspect(C.jpeg(photo), "image/jpeg").invoice_qr is None
    menu = C.scene(4, (1600, 1200))
    menu.paste(C.qr_image("https://example.com/menu", 10).convert("RGB"), (100, 100))
    assert fc.inspect(C.jpeg(menu), "image/jpeg").invoice_qr is None


def test_a_screenshot_of_an_e_invoice_is_read_too():
    sheet = C.invoice_sheet(C.INVOICE_QR, 1400)
    assert fc.inspect(C.png(sheet), "image/png").invoice_qr == C.INVOICE_QR.strip()


def test_the_first_page_of_a_pdf_is_searched_for_its_qr_code():
    assert fc.inspect(C.invoice_pdf(C.INVOICE_QR), "application/pdf").invoice_qr == C.INVOICE_QR.strip()
    assert fc.inspect(C.invoice_pdf(None), "application/pdf").invoice_qr is None
    assert fc.inspect(C.pdf(), "application/pdf").invoice_qr is None  # a blank page


def test_a_pdf_that_is_not_a_pdf_is_refused_as_corrupt():
    with pytest.raises(fc.Rejected) as err:
        fc.inspect(b"%PDF-1.4\nthis is no PDF at all\n%%EOF\n", "application/pdf")
    assert err.value.code == "corrupt" and err.value.params == {"detected": "pdf"}


def test_a_pdf_page_is_rendered_within_the_pixel_cap_however_large_the_page():
    huge = C.pdf([b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 14400 14400]>>"])  # 5 m square, PDF's limit
    tiny = C.pdf([b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 20 20]>>"])
    seen = []
    real = fc.find_invoice_qr

    def spy(img):
        seen.append(img.size)
        return real(img)

    fc.find_invoice_qr = spy
    try:
        assert fc.inspect(huge, "application/pdf").invoice_qr is None
        assert fc.inspect(tiny, "application/pdf").invoice_qr is None
    finally:
        fc.find_invoice_qr = real
    assert all(w * h <= fc.PDF_RENDER_PIXELS for w, h in seen), seen
    assert seen[1] == (80, 80)  # a small page: at most 4× its size in points


def test_an_image_of_twenty_thousand_pixels_square_is_refused_before_it_is_decoded():
    with pytest.raises(fc.Rejected) as err:
        fc.inspect(C.jpeg_bomb(20_000, 20_000), "image/jpeg")
    assert err.value.code == "too_many_pixels"
    with pytest.raises(fc.Rejected) as png:
        fc.inspect(C.png_bomb(20_000, 20_000), "image/png")
    assert png.value.code == "too_many_pixels"
