"""Domain errors. They carry a contract `code`; only handlers/api.py maps them to HTTP.

Every code the server can answer is registered here, once, with what it means:
`ERROR_CODES` for the `code` of an error body, `FIELD_CODES` for the `code` of each field
error of a 400 `validation_error`, `WARNING_CODES` for a campaign's `warnings` (and
domain/filecheck.py: REJECTIONS for why an upload was refused). Clients (the console first) translate by these codes and
their `params`, never by the English `message`, which is for people and logs and may change.
openapi.yaml's `FieldErrorCode` enum is generated from FIELD_CODES (python -m infra.openapi),
docs/api.md lists both tables, and tests hold the console's translations to both.

Adding a code: add it to the table here with one line on what it means (and its params),
raise it, and give the console a translation in every language (console/js/i18n.js); the
tests name what is missing.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

# -- the codes of error bodies ----------------------------------------------------------------
ERROR_CODES: dict[str, str] = {
    "validation_error": "400: bad input; `errors` names each field at fault",
    "unauthorized": "401: a missing, expired or invalid token",
    "forbidden": "403: not allowed, or outside the caller's scope",
    "self_approval": "403: nobody decides on their own application, nor on their delegator's in the delegator's name",
    "not_your_step": "403: the step the application waits for is not the caller's to take",
    "already_approved": "403: the caller already took a step of this application",
    "not_found": "404: an unknown id inside the caller's scope, or an unknown route",
    "method_not_allowed": "405: the path is known, the method is not (the local stack only)",
    "conflict": "409: a race was lost; read again and retry",
    "not_editable": "409: only a draft can be edited",
    "invalid_state": "409: the campaign's state forbids it",
    "feedback_locked": "409: the campaign is settled, its feedback no longer changes",
    "feedback_required": "409: settlement is locked until the required feedback is submitted",
    "already_reimbursed": "409: the campaign is already settled",
    "campaign_not_ended": "409: feedback is submitted and a campaign settled from its last day; `ends_on`, params `ends_on`",
    "rule_exists": "409: a feedback rule of this scope and target is in force; `rule_id`, params `rule_id`",
    "too_many_attachments": "409: the campaign holds the most attachments allowed; params `max`",
    "idempotency_key_reused": "409: the Idempotency-Key was used with another body",
    "request_in_progress": "409: the first request with this Idempotency-Key is still running",
    "budget_exists": "409: the org, period and category already have a budget",
    "budget_below_committed": "409: a budget's amount may not go below what is committed; params `committed` (fen)",
    "budget_exceeded": "409: the budget is short; `available` (fen), params `available`, `needed` (fen)",
    "secret_not_rotatable": "409: only a standard webhook's secret is the server's to rotate; params `format`",
    "delivery_not_failed": "409: only a failed webhook delivery is retried by hand; params `status` (pending or delivered)",
    "resync_required": "410: what follows the cursor is no longer kept (7 days): reload, start without a cursor; params `retention_days`",
    "invoice_already_claimed": "409: the invoice is claimed in the company already; `claimed_on` {campaign_id} and "
    "params `campaign_id` only when the caller may see that campaign",
    "invoice_settled": "409: a settled invoice is never released",
    "invoices_short": "409: invoices are required and they do not cover the amount; `invoice_total` (fen), "
    "params `invoice_total`, `amount`, `unit` (fen)",
    "accounting_not_configured": "409: vouchers need the company's accounts first (PUT /accounting)",
    "nothing_to_export": "409: no settled campaign up to `through` is left outside a voucher batch; `through`, params `through`",
    "batch_in_progress": "409: another voucher batch of the company is being made; retry in a moment",
    "already_posted": "409: the voucher batch was posted under another number; `voucher_no`, params `voucher_no`",
    "payload_too_large": "413: the body exceeds the limit; params `max_bytes`",
    "unsupported_media_type": "415: the body is not application/json",
    "bad_request": "400: a request Chalice itself could not read",
    "internal_error": "500: a bug; nothing is meant to answer it",
    "not_ready": "503: the local stack is still starting (GET /health only)",
    "error": "an error the server could not name more precisely (a bug to report)",
}

# -- the codes of a campaign's warnings (they inform, never block) -------------------------------
WARNING_CODES: dict[str, str] = {
    "overlapping_campaign": "applications of the same customer and category on overlapping days; `campaign_ids`",
    "retroactive_application": "applied for after the campaign had begun (its start date before the day of submit)",
}

# -- the codes of field errors -----------------------------------------------------------------
# `params` (when a code has any) carry the numbers and names the message is made from, so that
# a client can say the same in its own language; an amount in fen comes with `unit: "fen"`, a
# size in bytes with `unit: "bytes"`.
FIELD_CODES: dict[str, str] = {
    # shapes and types
    "required": "a value is needed and there is none",
    "not_allowed": "a field the body does not take (a typo, or a field only the server sets)",
    "wrong_type": "a value of another JSON type; params `expected` (object, array, string, integer, number, boolean)",
    "not_json": "the body is not valid JSON",
    "not_utf8": "the body is not UTF-8",
    # sizes
    "too_small": "a number below the least allowed; params `min` (and `unit`)",
    "too_large": "a number above the most allowed; params `max` (and `unit`)",
    "too_short": "a text shorter than allowed; params `min_length`",
    "too_long": "a text longer than allowed; params `max_length`",
    "too_few": "a list with fewer items than allowed; params `min_length`",
    "too_many": "a list with more items than allowed; params `max_length`",
    # formats
    "bad_format": "a text not in the expected format; params `pattern`",
    "control_characters": "a text holding control characters",
    "not_one_of": "a value outside a fixed list; params `choices`",
    "not_a_date": "not a calendar date YYYY-MM-DD",
    "not_a_month": "not a month YYYY-MM",
    "not_a_period": "not a budget period YYYY, YYYY-Qn or YYYY-MM; params `first_year`, `last_year`",
    "not_an_id": "not an id: 1 to 64 letters, digits or _ . : -",
    "not_an_org": "not an org path such as CN/EAST/JS",
    "coordinates_pair": "a latitude without its longitude or the other way round; params `other` (the coordinate given)",
    "bad_cursor": "a cursor this list with these filters did not issue",
    "unsupported_file_type": "a content type that cannot be uploaded; params `choices`",
    # dates and periods
    "end_before_start": "an end before its start; params `other` (the start's field)",
    "start_after_end": "a start after its end; params `other` (the end's field)",
    "in_the_past": "a period that ended before today; params `today`",
    "period_too_long": "a reporting period longer than allowed; params `max_months`",
    # amounts
    "above_requested": "an approved amount above the requested one; params `limit`, `unit`",
    "above_previous_step": "an approved amount above the previous step's; params `limit`, `unit`",
    "above_approved": "a settled amount above the approved one; params `limit`, `unit`",
    "above_reserved": "a settled amount above what the budget reserved; params `limit`, `unit`",
    # things named by the input
    "unknown_category": "a category the company does not have; params `choices`",
    "unknown_campaign": "no such campaign",
    "unknown_budget": "no such budget in the caller's company",
    "unknown_visit": "no check-in of the caller at this campaign by that id (another campaign's or person's)",
    "required_for_scope": "needed by a feedback rule of this scope; params `scope`",
    "required_to_submit": "needed before feedback can be submitted",
    "too_few_photos": "fewer ready photos than the feedback rule asks for; params `min_photos`, `ready`",
    "no_email": "the caller's token carries no email address",
    "not_an_account": "not an account code: 1 to 40 letters, digits or . _ - (a letter or digit first)",
    # budgets
    "outside_company": "an org path outside the caller's company",
    "outside_parent_org": "an org outside the parent budget's; params `parent`",
    "outside_parent_period": "a period outside the parent budget's; params `parent`",
    "not_parent_category": "a category other than the parent budget's; params `parent`",
    # approval policy and delegation
    "unlimited_before_last": "a policy level without a limit (null) before the last level",
    "not_increasing": "a policy limit not above the previous level's; params `previous`, `unit`",
    "approver_not_higher": "a policy approver not above the previous level's (province, region, leader)",
    "self_delegation": "a delegation to oneself",
    # webhooks: where a delivery may go (never into a private network), and their secrets
    "not_https": "a webhook URL that is not https; params `allowed` (the local stack also takes http://127.0.0.1)",
    "credentials_in_url": "a webhook URL carrying a user name or password",
    "port_not_allowed": "a webhook URL on a port other than 443; params `port`, `allowed`",
    "host_unresolvable": "a webhook URL whose host does not resolve; params `host`",
    "address_not_allowed": (
        "a webhook URL whose host is or resolves to an address webhooks never reach; params `address`, `reason` "
        "(loopback, private, link_local, metadata, shared, multicast, unspecified, reserved, not_global, teredo, nat64)"
    ),
    "not_for_format": "a field this webhook format does not take (a standard webhook's secret is the server's); params `format`",
    # invoices (发票)
    "not_an_invoice_qr": "not the QR text of a Chinese VAT invoice; params `parts` (the fields it has)",
    "unsupported_qr_version": "an invoice QR of another version; params `part`, `version` (the one known)",
    "unknown_invoice_type": "an invoice type not in the contract; params `choices` (and `part` for a QR)",
    "bad_invoice_code": "an invoice code of the wrong form for its type; params `invoice_type` (and `part`)",
    "bad_invoice_number": "an invoice number of the wrong form for its type; params `invoice_type` (and `part`)",
    "bad_invoice_amount": "an amount that is not yuan with at most two decimals; params `part`",
    "bad_check_code": "a check code that is neither empty nor 20 digits; params `invoice_type` (and `part`)",
    "in_the_future": "a date after today (Asia/Shanghai); params `today` (and `part`)",
    "one_way_required": "none of the ways to give an invoice; params `choices`",
    "not_with": "a field that cannot come with another; params `other`",
    "too_many_invoices": "a campaign holds the most invoices allowed; params `max`",
    "unknown_attachment": "no such attachment on this campaign",
    "attachment_not_ready": "an attachment the upload checker has not accepted (yet); params `status`",
    "no_invoice_qr": "an attachment in which the upload checker found no invoice QR code",
    # the last resort
    "invalid": "a problem without a code of its own (the message says which; a bug to report)",
}


class FieldError(TypedDict):
    """One field at fault: `field` is a dotted path (`plan.expected_spend`), a query
    parameter, a header or `body`; `code` one of FIELD_CODES."""

    field: str
    code: str
    message: str
    params: NotRequired[dict[str, Any]]


def field_error(field: str, code: str, message: str, **params: Any) -> FieldError:
    error = FieldError(field=field, code=code, message=message)
    if params:
        error["params"] = params
    return error


class DomainError(Exception):
    code = "error"

    def __init__(
        self, message: str, code: str | None = None, params: dict[str, Any] | None = None, **details: object
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details  # extra fields of the error body (e.g. `available`)
        self.params = params or {}  # what the message says in numbers, for clients to say it their way
        if code:
            self.code = code


class Unauthenticated(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """A state conflict: not_editable, invalid_state, feedback_locked, already_reimbursed …"""

    code = "conflict"


class Gone(DomainError):
    """What a cursor points after is no longer kept: the client starts again."""

    code = "resync_required"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class InvalidInput(DomainError):
    """Bad input; `errors` names each field at fault, each with its code."""

    code = "validation_error"

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        super().__init__(message or "; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors

    @classmethod
    def field(cls, field: str, code: str, message: str, **params: Any) -> InvalidInput:
        return cls([field_error(field, code, message, **params)])


def above(field: str, code: str, what: str, limit: int) -> InvalidInput:
    """An amount of fen above `what`, which is `limit`: `code` with params `limit` and `unit`."""
    return InvalidInput.field(field, code, f"must not exceed {what} ({limit} fen)", limit=limit, unit="fen")


class StaleWrite(Exception):
    """A conditional write lost a race: what it read has changed. Not an answer to a user:
    use cases re-read and decide again (logic.retry_on_stale)."""
