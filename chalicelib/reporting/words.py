"""Every word a report prints, in Chinese (the default) and English.

A key the console also has (`category.tasting`, `fig.roi`, `kind.passive`, …) carries exactly
the console's text (console/js/i18n.js), so a director reads the same word in the report as on
the screen; tests/unit/test_reporting_words.py compares them. Keys only reports use start with
`report.`. A text may hold `{name}` placeholders, filled by `say(language, key, name=…)`.
"""

from __future__ import annotations

from typing import Literal, get_args

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "zh"

# key: (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    # -- shared with the console ------------------------------------------------------------
    "category.tasting": ("品鉴", "Tasting"),
    "category.display": ("陈列", "Display"),
    "category.roadshow": ("路演", "Roadshow"),
    "category.in_store_promotion": ("店内促销", "In-store promotion"),
    "fig.expected_spend": ("预计花费", "Expected spend"),
    "fig.actual_spend": ("实际花费", "Actual spend"),
    "fig.expected_sales": ("预计销售额", "Expected sales"),
    "fig.actual_sales": ("实际销售额", "Actual sales"),
    "fig.expected_cost_ratio": ("预计费用率", "Expected cost ratio"),
    "fig.actual_cost_ratio": ("实际费用率", "Actual cost ratio"),
    "fig.roi": ("投资回报率", "ROI"),
    "card.median_roi": ("投资回报率中位数", "Median ROI"),
    "card.compliance": ("反馈及时率", "Feedback compliance"),
    "card.campaigns": ("活动场次", "Campaigns"),
    "dash.reimbursed": ("已核销金额", "Settled amount"),
    "field.approved_amount": ("批准金额", "Approved amount"),
    "field.campaign": ("活动", "Campaign"),
    "field.customer": ("客户", "Customer"),
    "field.org": ("组织", "Org"),
    "field.category": ("活动类型", "Category"),
    "field.start_date": ("开始日期", "Start date"),
    "field.reflections": ("心得体会", "Reflections"),
    "kind.passive": ("按规定反馈", "Required by a rule"),
    "kind.active": ("自愿反馈", "Voluntary"),
    "status.feedback.pending": ("待反馈", "Feedback due"),
    "status.feedback.overdue": ("已逾期", "Overdue"),
    "status.feedback.submitted": ("已反馈", "Fed back"),
    "budget.amount": ("预算总额", "Amount"),
    "budget.allocated": ("已划拨", "Carved out"),
    "budget.reserved": ("已预留", "Reserved"),
    "budget.consumed": ("已核销", "Consumed"),
    "budget.available": ("可用", "Available"),
    "budget.any_category": ("全部类型", "Every category"),
    "budget.period": ("期间", "Period"),
    "nav.budgets": ("预算", "Budgets"),
    "card.photos": ("照片", "Photos"),
    "photo.thumbnail_of": ("{name} 缩略图", "Thumbnail of {name}"),
    # -- reports only ---------------------------------------------------------------------------
    "report.name": ("回响活动报表", "Huixiang campaign report"),
    "report.kind.final": ("月度终版", "final report"),
    "report.kind.month_to_date": ("本月至今", "month to date"),
    "report.kind.on_demand": ("手动生成", "on demand"),
    "report.kind.other": ("报表", "report"),
    "report.title": ("{name} {period}（{kind}）— {scope}", "{name} {period} ({kind}) — {scope}"),
    "report.scope_line": (
        "范围 {scope} · 月份 {period} · <b>数据截至 {as_of}</b> · 金额单位：元（人民币）",
        "Scope {scope} · period {period} · <b>figures as of {as_of}</b> · money in yuan (CNY)",
    ),
    "report.as_of": ("{moment}（北京时间）", "{moment} (Asia/Shanghai)"),
    "report.generated": ("生成时间 {at}（UTC）。", "Generated {at} (UTC)."),
    "report.total": ("合计", "Total"),
    "report.rank": ("排名", "Rank"),
    "report.rep": ("业务员", "Rep"),
    "report.rep_id": ("业务员 ID", "Rep id"),
    "report.month": ("月份", "Month"),
    "report.category_id": ("活动类型 ID", "Category id"),
    "report.campaign_id": ("活动 ID", "Campaign id"),
    "report.budget_id": ("预算 ID", "Budget id"),
    "report.parent_id": ("上级预算 ID", "Carved from (budget id)"),
    "report.feedback_due": ("反馈截止日期", "Feedback due"),
    "report.days_overdue": ("逾期天数", "Days overdue"),
    "report.utilisation": ("使用率", "Utilisation"),
    "report.region": ("大区", "Region"),
    "report.province": ("省区", "Province"),
    "report.org_path": ("{level}（组织路径）", "{level} (org path)"),
    "report.effect_rating": ("效果评价", "Effect rating"),
    "report.photo": ("照片", "Photo"),
    "report.no_photo": ("没有照片", "No photo"),
    "report.no_reflections": ("（没有填写心得体会）", "(no reflections written)"),
    # headline
    "report.h.campaigns": ("已批准活动", "Approved campaigns"),
    "report.h.approved_amount": ("批准金额", "Approved amount"),
    "report.h.actual_spend": ("实际花费（已反馈）", "Actual spend (fed back)"),
    "report.h.actual_sales": ("实际销售额（已反馈）", "Actual sales (fed back)"),
    "report.h.overdue": ("逾期未反馈", "Overdue feedback"),
    "report.h.overdue_earlier": ("逾期未反馈（前 {n} 个月的活动）", "Overdue, campaigns of the {n} months before"),
    "report.h.budget_available": ("可用预算", "Budget available"),
    "report.h.figure": ("主要指标", "Headline figure"),
    "report.h.value": ("数值", "Value"),
    "report.h.detail": ("明细", "Detailed in"),
    # sections
    "report.s.category": ("各活动类型：计划与实际", "Plan vs actual by category"),
    "report.s.region": ("各大区", "By region"),
    "report.s.province": ("各省区", "By province"),
    "report.s.trend": ("最近 {n} 个月", "The last {n} months"),
    "report.s.ranking": ("业务员投资回报率排名", "ROI ranking of reps"),
    "report.s.overdue": ("逾期未反馈", "Overdue feedback"),
    "report.s.budget": ("预算", "Budgets"),
    "report.s.best": ("投资回报率最高的活动", "Campaigns with the best ROI"),
    "report.s.worst": ("投资回报率最低的活动", "Campaigns with the worst ROI"),
    # sheet names (≤ 31 characters)
    "report.sheet.report": ("报表", "Report"),
    "report.sheet.category": ("按活动类型", "By category"),
    "report.sheet.region": ("按大区", "By region"),
    "report.sheet.province": ("按省区", "By province"),
    "report.sheet.trend": ("趋势", "Trend"),
    "report.sheet.ranking": ("投资回报率排名", "ROI ranking"),
    "report.sheet.overdue": ("逾期未反馈", "Overdue feedback"),
    "report.sheet.budget": ("预算", "Budgets"),
    "report.sheet.best": ("回报率最高", "Best ROI"),
    "report.sheet.worst": ("回报率最低", "Worst ROI"),
    # empty sections and notes
    "report.none": ("无。", "None."),
    "report.no_campaigns": ("本月没有已批准的活动。", "No approved campaigns in this period."),
    "report.no_overdue": ("没有逾期未反馈的活动。", "No overdue feedback."),
    "report.no_budget": ("{period} 没有适用于此范围的预算。", "No budget is in force in {period} for this scope."),
    "report.no_standouts": (
        "本月还没有带实际数据的反馈。",
        "No feedback with actual figures in this period yet.",
    ),
    "report.no_worst": ("本月没有其他有实际数据的活动。", "No other campaign of the period has actual figures."),
    "report.n.counting": (
        "已批准的活动计入其开始日期所在的月份；实际数据取最新提交的反馈，实际比率只计已反馈的活动。",
        "Campaigns count in the month of their start date once approved; actual figures are the latest "
        "submitted feedback's, and actual ratios are over the campaigns fed back.",
    ),
    "report.n.as_of": (
        "待反馈和逾期按 {moment}（北京时间）计算：截止日期在 {today} 之前仍未提交的反馈为逾期。"
        "反馈及时率 = 已按要求提交的反馈 ÷（已提交 + 逾期）。",
        "Pending and overdue are as of {moment} (Asia/Shanghai): overdue feedback was due before {today}. "
        "Feedback compliance = required feedback delivered ÷ (delivered + overdue).",
    ),
    "report.n.money": (
        "金额以元（人民币）为单位，保留两位小数；投资回报率、费用率和及时率以百分比表示；没有分母的比率显示为 —。",
        "Money is in yuan (CNY) with two decimals; ROI, cost ratios and compliance are percentages; "
        "a ratio without a denominator is shown as —.",
    ),
    "report.n.trend": (
        "{period} 之前各月逾期未反馈：{n}（各月只计本月开始的活动）。",
        "Overdue feedback of the months before {period}: {n} (each month counts its own campaigns).",
    ),
    "report.n.ranking": (
        "没有反馈（尚无投资回报率）的业务员排在最后。",
        "Reps without feedback (no ROI yet) come last.",
    ),
    "report.n.overdue": (
        "截止日期在 {day} 之前、仍未提交的反馈，只列本月的活动（按开始日期计），逾期最久的在前。",
        "Required feedback due before {day} and not yet submitted, for the campaigns of this period "
        "(counted in the month of their start date), most overdue first.",
    ),
    "report.n.overdue_cut": (
        "列表只显示 {count} 条中的前 {shown} 条。",
        "The list shows the first {shown} of {count}.",
    ),
    "report.n.overdue_moved": (
        "列表有 {shown} 个活动，而统计数为 {count}：生成报表期间有活动发生变化，下一份报表会一致。",
        "The list holds {shown} campaigns while the figures count {count}: campaigns changed while the "
        "report was compiled; the next report will agree.",
    ),
    "report.n.budget_scope_all": (
        "列出：公司的全部预算中期间包含 {period} 的（当月、所在季度或年度）。",
        "Shown: every budget of the company whose period contains {period} (the month, its quarter or its year).",
    ),
    "report.n.budget_scope_org": (
        "列出：{scope}、其下级组织及其各上级组织的预算中期间包含 {period} 的（当月、所在季度或年度）。",
        "Shown: the budgets of {scope}, of the offices below it and of each org above it whose period "
        "contains {period} (the month, its quarter or its year).",
    ),
    "report.n.budget_figures": (
        "数字是各预算截至上述时间的数额：已预留和已核销包括预算期间内各月的活动，不只是本报表月份的。"
        "使用率 =（已预留 + 已核销）÷ 预算总额；划拨给下级预算的金额在下级预算中使用。",
        "Figures are each budget's own as of the time above: reserved and consumed count the campaigns of "
        "every month of the budget's period, not only this report's. Utilisation = (reserved + consumed) ÷ "
        "amount; money carved out into a child budget is used under that child.",
    ),
    "report.n.budget_total": (
        "合计只计一次划拨的金额：预算总额是未从此处所列其他预算划出的预算之和，已划拨是划给未列出预算（其他组织或期间）的金额。",
        "The total counts carved money once: its amount is that of the budgets not carved out of another "
        "one listed here, its carved out what went to budgets not listed (other offices or periods).",
    ),
    "report.n.standouts": (
        "本月有实际数据的活动中投资回报率最高和最低的各 {n} 个，附业务员最新提交的反馈中的心得体会和一张照片。",
        "The {n} campaigns of the period with the best and the worst ROI among those with actual figures, "
        "with the reflections of the rep's latest submitted feedback and one photo.",
    ),
    # tables and email
    "report.more_email": ("… 另有 {n} 条，见附件工作簿。", "… and {n} more in the attached workbook."),
    "report.more_page": (
        "… 另有 {n} 条（见范围更小的报表工作簿）。",
        "… and {n} more (see the workbook of a narrower scope).",
    ),
    "report.columns_email": (
        "邮件只列主要的列；全部的列见附件工作簿。",
        "The email shows the main columns; the attached workbook has every column.",
    ),
    "report.columns_narrow": (
        "窗口较窄，只显示主要的列；加宽窗口或打开工作簿可看到全部的列。",
        "A narrow window shows the main columns; widen it or open the workbook for every column.",
    ),
    "report.text_figures_as_of": (
        "数据截至 {as_of}；金额单位：元（人民币）。",
        "Figures as of {as_of}; money in yuan (CNY).",
    ),
    "report.text_overdue_item": (
        "- {title}（{customer}，{owner}），截止 {due}，逾期 {days} 天",
        "- {title} ({customer}, {owner}), due {due}, {days} days overdue",
    ),
    "report.text_standout": ("- {title}（{owner}）：投资回报率 {roi}", "- {title} ({owner}): ROI {roi}"),
    "report.text_footer": (
        "报表的每张表格和图表见本邮件的 HTML 版本；附件工作簿有全部的行和列。",
        "Every table of the report, with charts, is in the HTML version of this email; "
        "the attached workbook holds every row.",
    ),
    # workbook
    "report.wb.scope": ("范围", "Scope"),
    "report.wb.period": ("月份", "Period"),
    "report.wb.kind": ("类型", "Kind"),
    "report.wb.as_of": ("数据截至（北京时间）", "Figures as of (Asia/Shanghai)"),
    "report.wb.generated": ("生成时间（UTC）", "Generated (UTC)"),
    "report.wb.cny": ("{label}（元）", "{label} (CNY)"),
    "report.wb.money_note": (
        "金额以元（人民币）为单位，保留两位小数；CSV 中金额列名以 _cny 结尾。",
        "Money is in yuan (CNY) with two decimals; the CSV labels money columns _cny.",
    ),
    "report.wb.csv_note": (
        "CSV 包含各分表的全部行，以 section 列区分；不含本报表页（其数字即各分表的合计行）和图表。",
        "The CSV holds every row of the section sheets, told apart by its `section` column; it leaves "
        "out this Report sheet (its figures are the sections' total rows) and the charts.",
    ),
    "report.wb.header_as_of": ("截至 {as_of}", "as of {as_of}"),
    "report.wb.footer_page": ("第 &P 页，共 &N 页", "Page &P of &N"),
    # the CSV's own columns, and those that several sections share under different headings
    "report.csv.period": ("报表月份", "Report period"),
    "report.csv.scope": ("范围", "Scope"),
    "report.csv.as_of": ("数据截至", "As of"),
    "report.csv.section": ("分表", "Section"),
    "report.csv.group": ("分组", "Group"),
    "report.csv.name": ("名称", "Name"),
    # charts
    "report.c.spend_by_category": ("各活动类型花费：计划与实际", "Spend by category: plan vs actual"),
    "report.c.roi_by_category": (
        "各活动类型投资回报率（实际销售额 − 花费）÷ 花费",
        "ROI by category (actual sales − spend) ÷ spend",
    ),
    "report.c.spend_by_month": ("各月实际花费", "Actual spend by month"),
    "report.c.roi_by_month": ("各月投资回报率", "ROI by month"),
    "report.c.compliance_region": (
        "各大区反馈及时率（要求的反馈）",
        "Feedback compliance by region (required feedback)",
    ),
    "report.c.compliance_province": (
        "各省区反馈及时率（要求的反馈）",
        "Feedback compliance by province (required feedback)",
    ),
    "report.c.delivered": ("已反馈", "Delivered"),
    "report.c.not_yet_due": ("未到期", "Not yet due"),
    "report.c.budget_use": ("预算使用：占各预算总额的比例", "Budget use: shares of each amount"),
    "report.c.budget_use_largest": (
        "预算使用（最大的 {n} 个）：占各预算总额的比例",
        "Budget use (the {n} largest): shares of each amount",
    ),
    "report.c.roi_of_reps": ("业务员投资回报率（前 {n} 名）", "ROI of reps (best {n})"),
    "report.c.no_feedback_yet": ("— 尚无反馈", "— no feedback yet"),
    "report.c.nothing": ("暂无可绘制的数据。", "Nothing to chart yet."),
    "report.c.no_actuals": ("还没有带实际数据的反馈。", "No feedback with actual figures yet."),
    "report.c.no_actuals_months": (
        "这几个月还没有带实际数据的反馈。",
        "No feedback with actual figures in these months.",
    ),
    "report.c.no_required": ("本月没有要求反馈的活动。", "No feedback was required in this period."),
    "report.c.no_budget": ("没有适用的预算。", "No budget is in force."),
    # reminders
    "report.r.subject": ("回响：{n} 个活动的反馈已逾期", "Huixiang: {n} campaign feedback report(s) overdue"),
    "report.r.intro": (
        "截至 {today}，{n} 个活动的反馈已逾期。提交反馈之前，核销保持锁定。",
        "Feedback on {n} campaign(s) is overdue as of {today}. Settlement stays locked until it arrives.",
    ),
    "report.r.text_intro": ("截至 {today} 逾期的反馈：", "Feedback overdue as of {today}:"),
    "report.r.item": (
        "- {title}（{customer}），截止 {due}，逾期 {days} 天",
        "- {title} ({customer}), due {due}, {days} days overdue",
    ),
}


def say(language: Language, key: str, **values: object) -> str:
    """The text of `key` in `language`, its `{placeholders}` filled."""
    zh, en = WORDS[key]
    text = zh if language == "zh" else en
    return text.format(**values) if values else text


def category_name(category: str, language: Language) -> str:
    """A category id as people read it: the console's name for a known id, else the id made readable."""
    key = f"category.{category}"
    return say(language, key) if key in WORDS else category.replace("_", " ").capitalize()
