"""A report speaks the reader's language (Chinese unless asked) in the console's words, and its
standout campaigns cost the same few reads whatever the month holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.reporting import html, words
from chalicelib.reporting import mail as report_mail
from tests.unit.test_reporting_sections import PERIOD, TENANT, TODAY, sample_report

CONSOLE_I18N = Path(__file__).resolve().parents[2] / "console" / "js" / "i18n.js"


def console_words() -> dict[str, dict[str, str]]:
    """The console's table (console/js/i18n.js): {"zh": {key: text}, "en": {key: text}}."""
    source = CONSOLE_I18N.read_text(encoding="utf-8")
    zh, en = source.split("\n  en: {", 1)
    pair = re.compile(r'^\s+"([^"]+)": "((?:[^"\\]|\\.)*)",?$', re.M)
    return {"zh": dict(pair.findall(zh)), "en": dict(pair.findall(en))}


def test_every_word_the_report_shares_with_the_console_is_the_consoles():
    console = console_words()
    shared = [k for k in words.WORDS if not k.startswith("report.")]
    assert len(shared) > 30
    for key in shared:
        assert key in console["zh"], f"{key}: the console has no such word (a report-only key starts with report.)"
        assert words.WORDS[key] == (console["zh"][key], console["en"][key]), key


def test_every_category_the_console_names_the_report_names_alike():
    console = console_words()
    for key in (k for k in console["zh"] if k.startswith("category.")):
        category = key.split(".", 1)[1]
        assert words.category_name(category, "zh") == console["zh"][key]
        assert words.category_name(category, "en") == console["en"][key]


def test_the_report_is_chinese_by_default_and_english_on_request(rollups_in_memory):
    from chalicelib.logic import reports

    chinese = reports.report_data(TENANT, TENANT, PERIOD, "final", TODAY)
    page = html.render(chinese)
    assert chinese.language == "zh" and "<html lang='zh-CN'>" in page
    for section in ("各活动类型：计划与实际", "各大区", "投资回报率最高的活动", "逾期未反馈", "预算"):
        assert section in page
    headings = re.findall(r"<th[^>]*>([^<]+)</th>", page.split("<h2 id='category'")[1].split("<h2")[0])
    assert {"活动类型", "批准金额", "实际花费", "投资回报率", "反馈及时率", "按规定反馈", "自愿反馈"} <= set(headings)
    assert ">陈列<" in page and ">店内促销<" in page and "Tasting" not in page and "Plan vs" not in page
    assert "数据截至 2026-11-23 00:00（北京时间）" in page
    # the email: subject, body and plain text
    body = report_mail.body(chinese, "01R", "example.com")
    assert chinese.title == "回响活动报表 2026-11（月度终版）— ACME"
    assert re.search(r"^批准金额 +¥21,200\.00$", body.text, re.M) and "逾期未反馈 (1):" in body.text
    assert "- 店内促销 Suguo（苏果 Xinjiekou，Wang Wu），截止 2026-11-04，逾期 19 天" in body.text
    english = sample_report()
    assert english.language == "en" and "Plan vs actual by category" in html.render(english)
    # not one English heading of the English report is left in the Chinese one
    english_heads = {c.label for s in english.sections for c in s.columns}
    chinese_heads = {c.label for s in chinese.sections for c in s.columns}
    assert not (english_heads - {"ID"}) & chinese_heads


def test_the_best_and_worst_campaigns_carry_the_reps_words_and_a_photo(rollups_in_memory):
    page = html.render(sample_report(language="zh"))
    best = page.split("<h2 id='best'")[1].split("<h2")[0]
    worst = page.split("<h2 id='worst'")[1].split("<h2")[0]
    assert "新口味周末品鉴 Suguo Xinjiekou" in best and "周末客流大" in best and ">400.0%<" in best
    assert best.count("<img src='data:image/jpeg;base64,") == 1 and "李雷" in best
    assert "Weekend display at Jinying" in worst and ">0.0%<" in worst and "没有照片" in worst


@pytest.mark.parametrize("campaigns", [7, 70])
def test_the_standouts_cost_the_same_reads_however_many_campaigns_the_month_has(campaigns):
    """Two standings Queries, then per campaign shown one GetItem, one feedback Query, one
    attachments Query and one thumbnail GetObject: 2 + 4 × 6 = 26 at most, at 7 as at 70."""
    from chalicelib.dal import repos
    from chalicelib.dal.memory import InMemoryStorage
    from chalicelib.logic import reports
    from chalicelib.logic.rollups import apply_campaign_change
    from tests.unit.test_rollup_domain import campaign

    storage = InMemoryStorage()
    previous = repos.install(storage)
    try:
        for i in range(campaigns):
            c = campaign(
                id=f"C{i:03d}",
                org="ACME/EAST/JS",
                title=f"活动 {i}",
                feedback_revision=1,
                actual_spend=1000,
                actual_sales=100 * i,
            )
            storage.campaigns.insert(c)
            apply_campaign_change(f"e{i}", None, c)
        calls: list[str] = []

        def counted(repo: object, name: str) -> None:
            method = getattr(repo, name)

            def wrapper(*args: object, **kw: object) -> object:
                calls.append(name)
                return method(*args, **kw)

            setattr(repo, name, wrapper)

        for repo, name in (
            (storage.rollups, "standings"),
            (storage.campaigns, "get"),
            (storage.feedback, "latest_submitted"),
            (storage.evidence, "list"),
            (storage.objects, "thumbnail"),
        ):
            counted(repo, name)
        best, worst = reports.standouts("ACME", "ACME/EAST", "2026-11")
    finally:
        repos.install(previous)
    top = campaigns - 1
    assert [r["title"] for r in best] == [f"活动 {top}", f"活动 {top - 1}", f"活动 {top - 2}"]
    assert [r["title"] for r in worst] == ["活动 0", "活动 1", "活动 2"]
    assert calls.count("standings") == 2 and len(calls) == 2 + 3 * 6  # no photos: no GetObject
