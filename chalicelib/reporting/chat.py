"""An event as a WeCom or DingTalk group robot's markdown message, in Chinese.

Each message names the campaign, the person and the amount (`¥3,000.00`, as every report
writes money: values.text) and links to the console, where the people in the group act on it:
a manager's group sees 「待审批 …」 with a link to the approval card. The robots' formats
(their documentation):

* WeCom: `{"msgtype": "markdown", "markdown": {"content": …}}`, content at most 4,096 bytes;
* DingTalk: `{"msgtype": "markdown", "markdown": {"title": …, "text": …}}` (the title is what
  a notification shows).

Text from people (titles, names, reasons) is flattened to one line and shortened, and the
characters markdown would read as links or emphasis are dropped from it, so an application
titled `[click](http://…)` shows as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.reporting.values import category_name, text

WECOM_LIMIT = 4096  # bytes of `content`
FIELD_LIMIT = 120  # characters of any one value taken from the data
Data = Mapping[str, Any]


def _plain(value: Any, limit: int = FIELD_LIMIT) -> str:
    """A value people typed, safe inside a markdown line."""
    out = " ".join(str(value if value is not None else "").split())
    out = "".join(ch for ch in out if ch not in "[]()<>*_`#|\\")
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _money(fen: Any) -> str:
    return text(fen, "money") if isinstance(fen, int) else "—"


def _person(p: Any) -> str:
    if not isinstance(p, Mapping):
        return "—"
    return _plain(p.get("name") or p.get("id") or "—", 40)


def _campaign_lines(c: Data) -> list[str]:
    customer = c.get("customer") or {}
    category = _plain(category_name(str(c.get("category") or ""), "zh"), 40)
    return [
        f"申请人：{_person(c.get('owner'))}（{_plain(c.get('org'), 60)}）",
        f"客户：{_plain(customer.get('name') or customer.get('id'), 60)} · {category}",
        f"活动日期：{_plain(c.get('start_date'), 10)} 至 {_plain(c.get('end_date'), 10)}",
    ]


def _last_step_by(c: Data) -> str:
    steps = ((c.get("approval") or {}).get("steps")) or []
    return _person(steps[-1].get("by")) if steps else _person((c.get("decision") or {}).get("by"))


# (title prefix, the lines after the campaign's own, the console route) of each campaign event
CampaignRender = Callable[[Data], tuple[str, list[str], str]]


def _submitted(c: Data) -> tuple[str, list[str], str]:
    return "待审批", [f"申请金额：{_money(c.get('requested_amount'))}"], f"/approvals/{c.get('id')}"


def _approved(c: Data) -> tuple[str, list[str], str]:
    return (
        "已批准",
        [
            f"批准金额：{_money(c.get('approved_amount'))}（申请 {_money(c.get('requested_amount'))}）",
            f"审批人：{_last_step_by(c)}",
        ],
        f"/campaigns/{c.get('id')}",
    )


def _rejected(c: Data) -> tuple[str, list[str], str]:
    comment = (c.get("decision") or {}).get("comment")
    lines = [f"申请金额：{_money(c.get('requested_amount'))}"] + ([f"意见：{_plain(comment)}"] if comment else [])
    return "已驳回", lines, f"/campaigns/{c.get('id')}"


def _cancelled(c: Data) -> tuple[str, list[str], str]:
    reason = (c.get("cancellation") or {}).get("reason")
    lines = [f"申请金额：{_money(c.get('requested_amount'))}"] + ([f"原因：{_plain(reason)}"] if reason else [])
    return "已取消", lines, f"/campaigns/{c.get('id')}"


def _feedback(c: Data) -> tuple[str, list[str], str]:
    report = c.get("feedback_report") or {}
    return (
        "已提交反馈",
        [
            f"实际花费：{_money(report.get('actual_spend'))} · 实际销售：{_money(report.get('actual_sales'))}",
            f"第 {_plain(report.get('revision'), 6)} 版 · 提交人：{_person(report.get('author'))}",
        ],
        f"/campaigns/{c.get('id')}",
    )


def _unlocked(c: Data) -> tuple[str, list[str], str]:
    proposed = (c.get("reimbursement") or {}).get("proposed_amount")
    lines = [f"批准金额：{_money(c.get('approved_amount'))}"] + (
        [f"建议核销：{_money(proposed)}"] if isinstance(proposed, int) else []
    )
    return "可核销", lines, f"/campaigns/{c.get('id')}"


def _reimbursed(c: Data) -> tuple[str, list[str], str]:
    r = c.get("reimbursement") or {}
    return (
        "已核销",
        [f"核销金额：{_money(r.get('amount'))}", f"核销人：{_person(r.get('by'))}"],
        f"/campaigns/{c.get('id')}",
    )


def _invoice(c: Data) -> tuple[str, list[str], str]:
    invoice = c.get("invoice") or {}
    return (
        "已登记发票",
        [f"发票：{_plain(invoice.get('key'), 40)} · 金额 {_money(invoice.get('amount'))}"],
        f"/campaigns/{c.get('id')}",
    )


CAMPAIGN_EVENTS: dict[str, CampaignRender] = {
    "campaign.submitted": _submitted,
    "campaign.approved": _approved,
    "campaign.rejected": _rejected,
    "campaign.cancelled": _cancelled,
    "feedback.submitted": _feedback,
    "settlement.unlocked": _unlocked,
    "campaign.reimbursed": _reimbursed,
    "invoice.claimed": _invoice,
}


def markdown(event_type: str, data: Data, console_url: str | None) -> tuple[str, str]:
    """(title, markdown text) of an event for people in a group chat."""
    if event_type == "report.ready":
        title = f"报告已生成：{_plain(data.get('period'), 10)}"
        lines, route = [f"范围：{_plain(data.get('scope'), 60)}"], "/reports"
    else:
        prefix, extra, route = CAMPAIGN_EVENTS[event_type](data)
        title = f"{prefix}：{_plain(data.get('title'), 60)}"
        lines = _campaign_lines(data) + extra
    body = "\n".join([f"### {title}", *(f"> {line}" for line in lines)])
    if console_url:
        body += f"\n\n[在回响中查看]({console_url}#{route})"
    return title, body


def robot_message(fmt: str, event_type: str, data: Data, console_url: str | None) -> dict[str, Any]:
    """The JSON a `wecom` or `dingtalk` robot takes for this event."""
    title, body = markdown(event_type, data, console_url)
    if fmt == "wecom":  # FIELD_LIMIT keeps every message well under WECOM_LIMIT (tested)
        return {"msgtype": "markdown", "markdown": {"content": body}}
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": body}}
    raise ValueError(f"no robot message for format {fmt!r}")
