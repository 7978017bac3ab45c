"""The report compiler draws Chinese in production: the packaged layer holds a subset CJK font,
only OnReportRequested carries it, and the chart code draws with it when it is the only font
there is (as on Lambda, where the layer unpacks at /opt/fonts and the runtime has no other)."""

from __future__ import annotations

import io
import zipfile

import pytest

from chalicelib.reporting import Chart, Series, charts, png, words


@pytest.fixture
def only_the_packaged_font(template_path, tmp_path, monkeypatch):
    """The layer `make package` built, unpacked as Lambda does, and no other font anywhere."""
    layer = template_path.parent / "report-fonts.zip"
    with zipfile.ZipFile(layer) as zf:
        zf.extractall(tmp_path)  # fonts/… as under /opt
    monkeypatch.setattr(png, "PACKAGED_DIRS", (str(tmp_path / "fonts"),))
    monkeypatch.setattr(png, "SYSTEM_FONT_FILES", ())
    png.reset()
    yield tmp_path / "fonts" / png.PACKAGED_FONT
    png.reset()


def test_only_the_report_compiler_carries_the_font_layer_and_the_layer_is_built(resources, template_path):
    layer = resources["ReportFontsLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "./report-fonts.zip" and layer["Properties"]["LicenseInfo"] == "OFL-1.1"
    functions = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    with_layers = {n for n, r in functions.items() if r["Properties"].get("Layers")}
    assert with_layers == {"OnReportRequested"}
    assert functions["OnReportRequested"]["Properties"]["Layers"] == [{"Ref": "ReportFontsLayer"}]
    with zipfile.ZipFile(template_path.parent / "report-fonts.zip") as zf:
        names = set(zf.namelist())
        size = zf.getinfo(f"fonts/{png.PACKAGED_FONT}").file_size
    assert names == {f"fonts/{png.PACKAGED_FONT}", "fonts/LICENSE-NotoSansCJK.txt"}
    assert 500_000 < size < 3_000_000  # a subset: the full collection is 19 MB


def test_every_word_a_report_prints_is_drawn_with_the_packaged_font(only_the_packaged_font):
    assert png.font_path() == (str(only_the_packaged_font), False)
    f = png.font(24)
    for key, (zh, en) in words.WORDS.items():
        assert png.drawable(f, zh) and png.drawable(f, en), key
    # names people write with common characters, money and punctuation
    assert png.drawable(f, "李雷 韩梅梅 苏果超市新街口店 华东大区 江苏省办 ¥12,345.60 −5.0%（计划）")
    assert png.label(charts.Text(0, 0, "品鉴 ¥1,000.00", ascii="Tasting CNY 1,000.00"), f) == "品鉴 ¥1,000.00"


def test_a_chart_drawn_with_only_the_packaged_font_shows_chinese_not_the_ascii_fallback(
    only_the_packaged_font, monkeypatch
):
    from PIL import Image, ImageChops

    chart = Chart(
        key="k",
        title="各活动类型花费",
        kind="bars",
        labels=("品鉴",),
        ascii_labels=("Tasting",),
        series=(Series("实际花费", (100000,), charts.ACTUAL),),
        value_kind="money",
        language="zh",
    )
    drawn_texts: list[tuple[str, str, str]] = []
    choose = png.label

    def spy(shape, font_obj):
        out = choose(shape, font_obj)
        drawn_texts.append((shape.text, out, font_obj.path))
        return out

    monkeypatch.setattr(png, "label", spy)
    drawn = Image.open(io.BytesIO(png.render(chart)[0])).convert("L")
    # every text of the chart, Chinese included, was drawn as itself with the packaged font
    assert {text for text, _, _ in drawn_texts} >= {"各活动类型花费", "品鉴", "¥1,000.00"}
    assert all(out == text and path == str(only_the_packaged_font) for text, out, path in drawn_texts)
    # and where the label stands, its pixels differ from the same chart on a bare runtime, whose
    # only font (Pillow's own) has no Chinese: there the label is its ASCII fallback
    monkeypatch.setattr(png, "PACKAGED_DIRS", ())
    png.reset()
    drawn_texts.clear()
    bare = Image.open(io.BytesIO(png.render(chart)[0])).convert("L")
    assert ("品鉴", "Tasting") in {(text, out) for text, out, _ in drawn_texts}
    label = next(s for s in charts.layout(chart, 640).shapes if isinstance(s, charts.Text) and s.text == "品鉴")
    box = (
        0,
        round((label.y - label.size) * png.SCALE),
        round((label.x + 2) * png.SCALE),
        round((label.y + 4) * png.SCALE),
    )
    assert ImageChops.difference(drawn.crop(box), bare.crop(box)).getbbox() is not None
