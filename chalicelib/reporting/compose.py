"""A report in one language: the headline, the notes and the sections of `ReportFacts`, in the
words of reporting/words.py. The facts are gathered once (logic/reports.py); composing them
again in another language reads nothing."""

from __future__ import annotations

from chalicelib.reporting import Figure, ReportData, ReportFacts, sections
from chalicelib.reporting.words import Language, say


def compose(facts: ReportFacts, lang: Language) -> ReportData:
    months, period, level = facts.months, facts.period, facts.level
    total = months[-1]
    today = facts.as_of.date().isoformat()
    # One figure, read from the roll-ups once: the headline, every total row, the section title
    # and the email all show it; the list beneath it selects the same campaigns.
    overdue = sections.overdue(facts.overdue, total["feedback"]["overdue"], today, not facts.overdue_cut, lang)
    budget = sections.budgets(facts.budgets, period, facts.scope, facts.tenant, lang)
    earlier = sum(m["feedback"]["overdue"] for m in months[:-1])

    def w(key: str, **values: object) -> str:
        return say(lang, key, **values)

    headline = [
        Figure("campaigns", w("report.h.campaigns"), total["campaigns"], "count", "category"),
        Figure("approved_amount", w("report.h.approved_amount"), total["approved_amount"], "money", "category"),
        Figure("actual_spend", w("report.h.actual_spend"), total["actual_spend"], "money", "category"),
        Figure("actual_sales", w("report.h.actual_sales"), total["actual_sales"], "money", "category"),
        Figure("roi", w("fig.roi"), total["roi"], "percent", "category"),
        Figure("actual_cost_ratio", w("fig.actual_cost_ratio"), total["actual_cost_ratio"], "percent", "category"),
        Figure("compliance_rate", w("card.compliance"), total["compliance_rate"], "percent", level),
        Figure("overdue", w("report.h.overdue"), overdue.size, "count", "overdue"),
        Figure("overdue_earlier", w("report.h.overdue_earlier", n=len(months) - 1), earlier, "count", "trend"),
    ]
    if budget.total is not None:
        headline.append(
            Figure("budget_available", w("report.h.budget_available"), budget.total["available"], "money", "budget")
        )
    notes = [
        w("report.n.counting"),
        w("report.n.as_of", moment=f"{facts.as_of:%Y-%m-%d %H:%M}", today=today),
        w("report.n.money"),
    ]
    return ReportData(
        tenant=facts.tenant,
        scope=facts.scope,
        period=period,
        kind=facts.kind,
        as_of=facts.as_of,
        generated_at=facts.generated_at,
        headline=headline,
        notes=notes,
        language=lang,
        sections=[
            sections.by_category(facts.categories, total, lang),
            sections.by_org(level, facts.orgs, total, lang),
            sections.standouts("best", facts.best, lang, facts.standouts),
            sections.standouts("worst", facts.worst, lang, facts.standouts),
            sections.trend(months, period, lang),
            sections.ranking(facts.ranking, lang),
            overdue,
            budget,
        ],
    )
