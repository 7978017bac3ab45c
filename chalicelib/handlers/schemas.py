"""Request bodies (pydantic v2): strict types, unknown fields refused, sizes bounded.

These models are the one description of what a body may hold: the handlers validate with them,
and openapi.yaml's request components are generated from them (`python -m infra.openapi`, run
by `make package`; tests/contract fails when the committed document is stale). So:

* a model's class name is its component's name (`CampaignIn` → `#/components/schemas/CampaignIn`),
  and the operation in openapi.yaml refers to it by that name;
* a named type (`TypeAliasType("Date", …)`) becomes a component of its own, shared with the
  responses that use it (`Date`, `Money`, `RuleScope` …);
* a model in INLINE is written out where it is used, so a generated client names it after the
  body that holds it (`CampaignInCustomer`);
* a limit the domain checks rather than pydantic (an org path, a budget period) is stated for the
  document with `json_schema_extra`, so clients still see it;
* a validator here says what is wrong with a PydanticCustomError whose type is a field code of
  the contract (domain/errors.py: FIELD_CODES) and whose context is its params.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from chalicelib.domain.approval import POLICY_LEVELS
from chalicelib.domain.budget import FIRST_YEAR, LAST_YEAR, MAX_AMOUNT
from chalicelib.domain.invoices import MAX_QR_LENGTH, TYPES
from chalicelib.domain.vouchers import ACCOUNT_PATTERN, VOUCHER_NO_MAX_LENGTH
from chalicelib.domain.webhooks import EVENTS, MAX_URL_LENGTH

MAX_MONEY = 10**13  # fen: 100 billion CNY, far above any campaign


# -- checks that speak the contract's field codes ----------------------------------------------
def _matches(pattern: str, code: str, message: str) -> AfterValidator:
    """A text matching `pattern`, else the field code `code` (give the document the pattern too)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise PydanticCustomError(code, message)
        return value

    return AfterValidator(check)


def _fen(minimum: int, maximum: int = MAX_MONEY) -> AfterValidator:
    """Whole fen from `minimum` to `maximum`; its errors carry `unit: fen` (a client shows yuan)."""

    def check(value: int) -> int:
        if value < minimum:
            raise PydanticCustomError("too_small", "must be at least {min} fen", {"min": minimum, "unit": "fen"})
        if value > maximum:
            raise PydanticCustomError("too_large", "must be at most {max} fen", {"max": maximum, "unit": "fen"})
        return value

    return AfterValidator(check)


def _fen_schema(minimum: int, maximum: int = MAX_MONEY) -> WithJsonSchema:
    return WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum, "description": "fen"})


def _calendar(parse: Callable[[str], object], code: str, message: str) -> AfterValidator:
    def check(value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise PydanticCustomError(code, message) from None
        return value

    return AfterValidator(check)


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def _day(value: str) -> object:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError(value)
    return dt.date.fromisoformat(value)


def _month(value: str) -> object:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
        raise ValueError(value)
    return dt.date.fromisoformat(value + "-01")


# -- named types: components of their own, shared with the responses ---------------------------
Date = TypeAliasType(
    "Date",
    Annotated[
        str,
        _calendar(_day, "not_a_date", "must be a calendar date YYYY-MM-DD"),
        WithJsonSchema({"type": "string", "format": "date"}),
    ],
)
Money = TypeAliasType("Money", Annotated[int, _fen(0), _fen_schema(0)])
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
Id = Annotated[
    str,
    _matches(ID_PATTERN, "not_an_id", "must be 1-64 letters, digits or _.:-"),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN}),
]
SHA256_PATTERN = r"^[0-9a-f]{64}$"


def _sha256(value: str) -> str:
    if not re.fullmatch(SHA256_PATTERN[1:-1], value):
        raise PydanticCustomError(
            "bad_format", "must be 64 lowercase hexadecimal characters", {"pattern": SHA256_PATTERN}
        )
    return value


Sha256 = TypeAliasType(
    "Sha256",
    Annotated[str, AfterValidator(_sha256), WithJsonSchema({"type": "string", "pattern": SHA256_PATTERN})],
)
ActingFor = TypeAliasType(
    "ActingFor",
    Annotated[
        Id | None,
        Field(
            description="the user id of a delegator to decide in the name of (403 `not_your_step` without a\n"
            "delegation from them for today); absent or null: the caller's own right first, then\n"
            "any delegation active today\n"
        ),
    ],
)
RuleScope = TypeAliasType("RuleScope", Literal["campaign", "category", "all"])
ReportFrequency = TypeAliasType("ReportFrequency", Literal["weekly", "monthly", "none"])
# what a report is written in: its page, email, workbook and CSV headings (Chinese unless asked)
ReportLanguage = TypeAliasType("ReportLanguage", Literal["zh", "en"])
BudgetPeriod = TypeAliasType(
    "BudgetPeriod",
    Annotated[
        str,  # the domain reads it (domain/budget.py: parse_period) and names what is wrong
        StringConstraints(min_length=1, max_length=16),
        Field(
            description=f"a year `YYYY`, a quarter `YYYY-Qn` or a month `YYYY-MM`, years {FIRST_YEAR}-{LAST_YEAR}",
            json_schema_extra={"pattern": r"^20\d{2}(-Q[1-4]|-(0[1-9]|1[0-2]))?$", "example": "2026-Q4"},
        ),
    ],
)
BudgetAmount = TypeAliasType(
    "BudgetAmount",
    Annotated[
        int,  # the domain bounds it (and names it) so 2^63 is a 400, not an overflow
        Field(description="fen, at most 10^15", json_schema_extra={"minimum": 1, "maximum": MAX_AMOUNT}),
    ],
)
Approver = TypeAliasType(
    "Approver",
    Annotated[
        str,  # the domain checks it, with the order of the levels (domain/approval.py: parse_policy)
        StringConstraints(min_length=1, max_length=32),
        WithJsonSchema(
            {
                "type": "string",
                "enum": list(POLICY_LEVELS),
                "description": "a policy level's approver: a manager at depth 3, at depth 2, or a leader",
            }
        ),
    ],
)

PositiveMoney = Annotated[int, _fen(1), _fen_schema(1)]
Units = Annotated[int, Field(ge=0, le=10**9)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
Text = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_printable)]
Category = Annotated[str, StringConstraints(min_length=1, max_length=64), Field(description="one of GET /categories")]
Month = Annotated[
    str,
    _calendar(_month, "not_a_month", "must be a month YYYY-MM"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$"}),
]


class Body(BaseModel):
    # defer_build: a cold Lambda builds only the validators of the route it serves
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Customer(Body):
    id: Id
    name: Name | None = None


def _coordinate(value: float) -> float:
    # 7 decimals is about 1 cm; beyond that DynamoDB refuses magnitudes below 1e-130 (a 500)
    return round(value, 7) + 0.0


class Location(Body):
    """An address, coordinates, or both. `lat` and `lon` come as a pair (one alone is a 400
    `coordinates_pair` naming the missing one); with neither, `address` is required. Without
    coordinates a photo's `distance_km` is null."""

    address: Name | None = None
    lat: Annotated[float, Field(ge=-90, le=90), AfterValidator(_coordinate)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180), AfterValidator(_coordinate)] | None = None


class Plan(Body):
    expected_spend: Money
    expected_sales: Money
    expected_units: Units | None = None


# In a PATCH, a field left out keeps its value and an explicit null clears it. Only fields
# that may be empty are Optional; the others default to None without accepting null (pydantic
# does not validate defaults), so `"title": null` is a 400 naming the field, not a 500.
class PlanChanges(Body):
    expected_spend: Money = None  # type: ignore[assignment]
    expected_sales: Money = None  # type: ignore[assignment]
    expected_units: Units | None = None


class CampaignIn(Body):
    title: Name
    category: Category
    customer: Customer
    start_date: Date
    end_date: Date
    location: Location | None = None
    plan: Plan
    requested_amount: PositiveMoney


class CampaignChanges(Body):
    """Any subset of CampaignIn's fields, plan fields one by one. A field left out keeps its
    value; only `location` and `plan.expected_units` may be cleared with null."""

    title: Name = None  # type: ignore[assignment]
    category: Category = None  # type: ignore[assignment]
    customer: Customer = None  # type: ignore[assignment]
    start_date: Date = None  # type: ignore[assignment]
    end_date: Date = None  # type: ignore[assignment]
    location: Location | None = None
    plan: PlanChanges = None  # type: ignore[assignment]
    requested_amount: PositiveMoney = None  # type: ignore[assignment]


class Approval(Body):
    approved_amount: Annotated[
        PositiveMoney, Field(description="at most requested_amount, and at most the previous step's")
    ]
    comment: Text | None = None
    acting_for: ActingFor = None  # a delegator's id: decide in their name


Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), AfterValidator(_printable)
]


class Rejection(Body):
    comment: Reason
    acting_for: ActingFor = None


class CancellationIn(Body):
    reason: Reason


class RuleIn(Body):
    scope: RuleScope
    campaign_id: Annotated[Id | None, Field(description="scope campaign")] = None
    category: Annotated[Category | None, Field(description="scope category")] = None
    due_days: Annotated[int, Field(ge=0, le=365)] = 7
    min_photos: Annotated[int, Field(ge=0, le=50)] = 0


class FeedbackIn(Body):
    actual_spend: Money | None = None
    actual_sales: Money | None = None
    actual_units: Units | None = None
    effect_rating: Annotated[int, Field(ge=1, le=5)] | None = None
    reflections: Text | None = None


class SettlementIn(Body):
    amount: Annotated[Money | None, Field(description="at most approved_amount")] = None
    note: Annotated[str, StringConstraints(max_length=1000), AfterValidator(_printable)] | None = None


class AttachmentIn(Body):
    filename: Annotated[
        str,
        StringConstraints(min_length=1, max_length=255),
        Field(description="shown and offered as the download name; never part of the object key"),
    ]
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    size_bytes: Annotated[int, Field(gt=0, le=25 * 1024 * 1024)]
    visit_id: Annotated[
        Id | None, Field(description="the caller's check-in at this campaign the photo is taken during")
    ] = None
    sha256: Annotated[
        Sha256 | None,
        Field(description="lowercase hex SHA-256 of the exact bytes to upload; other bytes are rejected"),
    ] = None


class VisitIn(Body):
    """A check-in at the store: where the device says it is. The time is the server's."""

    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), AfterValidator(_coordinate)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), AfterValidator(_coordinate)]
    accuracy_m: (
        Annotated[
            float,
            Field(ge=0, le=100_000, allow_inf_nan=False, description="the device's own estimate, metres"),
        ]
        | None
    ) = None


# -- evaluation and reports -------------------------------------------------------------------
class ReportRun(Body):
    period: Annotated[Month, Field(description="the month, YYYY-MM")]
    language: Annotated[
        ReportLanguage,
        Field(description="the language of the stored page, workbook and CSV (each subscriber's email is in theirs)"),
    ] = "zh"


class ReportSubscriptionIn(Body):
    frequency: ReportFrequency
    language: Annotated[ReportLanguage, Field(description="the language of the report emails this subscriber gets")] = (
        "zh"
    )


# -- money control ---------------------------------------------------------------------------
class BudgetIn(Body):
    org: Annotated[
        str,  # the domain checks the path (and that it lies in the caller's company)
        StringConstraints(min_length=1, max_length=300),
        Field(
            description="an org path inside the caller's company (e.g. CN/EAST/JS)",
            json_schema_extra={"pattern": "^[A-Za-z0-9_-]{1,32}(/[A-Za-z0-9_-]{1,32}){0,7}$"},
        ),
    ]
    period: BudgetPeriod
    category: Annotated[
        Category | None, Field(description="one of GET /categories; null or absent: every category")
    ] = None
    amount: BudgetAmount
    parent_id: Annotated[Id | None, Field(description="the budget to carve this one out of")] = None


class BudgetChange(Body):
    amount: BudgetAmount


class PolicyLevel(Body):
    up_to: Annotated[
        int | None,  # the domain bounds it, with the order of the levels
        Field(
            description="fen; null (last level only): no limit",
            json_schema_extra={"minimum": 1, "maximum": MAX_AMOUNT},
        ),
    ]
    approver: Approver


class ApprovalPolicyIn(Body):
    levels: list[PolicyLevel] = Field(max_length=10, json_schema_extra={"minItems": 1})


class DelegateIn(Body):
    id: Annotated[Id, Field(description="the delegate's user id")]
    name: Name | None = None


class DelegationIn(Body):
    to: DelegateIn
    from_: Date = Field(alias="from")
    until: Date


# -- events out ------------------------------------------------------------------------------
WebhookEvent = TypeAliasType(
    "WebhookEvent",
    Annotated[
        str,  # the domain names an unknown one (domain/webhooks.py: check_events), with `events` as the field
        StringConstraints(min_length=1, max_length=64),
        WithJsonSchema({"type": "string", "enum": list(EVENTS), "description": "an event type"}),
    ],
)
WebhookFormat = TypeAliasType("WebhookFormat", Literal["standard", "wecom", "dingtalk"])


class WebhookIn(Body):
    url: Annotated[
        str,  # the domain checks it and where it resolves (https, port 443, no credentials, public addresses)
        StringConstraints(min_length=1, max_length=MAX_URL_LENGTH),
        Field(
            description="https, port 443, no credentials, a host resolving to public addresses only\n"
            "(the local stack also takes http://127.0.0.1); a WeCom or DingTalk robot's URL keeps its query\n"
        ),
    ]
    events: list[WebhookEvent] = Field(max_length=len(EVENTS) * 2, json_schema_extra={"minItems": 1})
    format: WebhookFormat = "standard"
    description: Annotated[str, StringConstraints(max_length=500), AfterValidator(_printable)] | None = None
    secret: Annotated[
        str | None,
        StringConstraints(max_length=200),
        Field(
            description="dingtalk only: the robot's own signing secret (SEC…); a standard webhook's is made by the server"
        ),
    ] = None
    org: Annotated[
        str | None,
        StringConstraints(min_length=1, max_length=300),
        Field(
            description="only events of campaigns (and reports) of this subtree; absent: the whole company",
            json_schema_extra={"pattern": "^[A-Za-z0-9_-]{1,32}(/[A-Za-z0-9_-]{1,32}){0,7}$"},
        ),
    ] = None


# -- invoices and settlement on verified spend -------------------------------------------------------
# The form of a code, number or check code for the invoice's type is the domain's (domain/invoices.py:
# RULES), which names what is wrong; the document states the patterns for clients.
InvoiceCode = Annotated[
    str,
    StringConstraints(max_length=12),
    Field(
        description="10 or 12 digits; empty or absent for types 31/32",
        json_schema_extra={"pattern": r"^([0-9]{10}|[0-9]{12})?$"},
    ),
]
InvoiceNumber = Annotated[
    str,
    StringConstraints(max_length=20),
    Field(description="8 digits; 20 for types 31/32", json_schema_extra={"pattern": r"^([0-9]{8}|[0-9]{20})$"}),
]
CheckCode = Annotated[
    str,
    StringConstraints(max_length=20),
    Field(description="20 digits where the invoice prints one", json_schema_extra={"pattern": r"^([0-9]{20})?$"}),
]


InvoiceType = TypeAliasType(
    "InvoiceType",
    Annotated[
        str,  # the domain checks it (unknown_invoice_type), with the rules that depend on it
        StringConstraints(min_length=1, max_length=8),
        WithJsonSchema(
            {
                "type": "string",
                "enum": list(TYPES),
                "description": "01 special, 04 general, 08 electronic special, 10 electronic general, 11 roll, "
                "14 toll, 31 fully digital special, 32 fully digital general",
            }
        ),
    ],
)


# -- vouchers for the general ledger -----------------------------------------------------------
Account = TypeAliasType(
    "Account",
    Annotated[
        str,
        _matches(ACCOUNT_PATTERN, "not_an_account", "must be an account code: 1-40 letters, digits or ._- "),
        WithJsonSchema(
            {"type": "string", "pattern": ACCOUNT_PATTERN, "description": "an account code of the chart of accounts"}
        ),
    ],
)


class InvoiceIn(Body):
    """Exactly one way to give the invoice: `qr` (the QR text printed on it), `attachment_id` (a
    ready attachment of this campaign in which the upload checker found its QR code), or typed
    by hand (`type`, `number`, `amount`, `issued_on`; `code` for types other than 31/32;
    `check_code` where printed). A field of one way with another's → 400 `not_with`."""

    qr: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=MAX_QR_LENGTH),
            Field(
                description="01,<type>,<code>,<number>,<amount>,<YYYYMMDD>,<check code>,<tail>",
                json_schema_extra={
                    "example": "01,10,032001900111,12345678,1234.56,20261101,12345678901234567890,8A3C,"
                },
            ),
        ]
        | None
    ) = None
    attachment_id: Id | None = None
    type: InvoiceType | None = None
    code: InvoiceCode | None = None
    number: InvoiceNumber | None = None
    amount: Annotated[PositiveMoney | None, Field(description="fen, as printed (yuan × 100)")] = None
    issued_on: Date | None = None
    check_code: CheckCode | None = None


class SettlementPolicyIn(Body):
    invoices_required: Annotated[bool, Field(description="settle only on invoices: the amount never above their total")]


class AccountingIn(Body):
    expense_account: Annotated[Account, Field(description="the marketing-expense account debited by default")]
    expense_accounts: Annotated[
        dict[Category, Account] | None,
        Field(description="the expense account of a category (one of GET /categories), where not the default"),
    ] = None
    payable_account: Annotated[Account, Field(description="the payables account credited")]


class VoucherBatchIn(Body):
    through: Annotated[
        Date | None, Field(description="campaigns settled on or before this day (Asia/Shanghai); default today")
    ] = None


class VoucherPostIn(Body):
    voucher_no: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=VOUCHER_NO_MAX_LENGTH),
        AfterValidator(_printable),
        Field(description="the number the ERP gave the voucher"),
    ]


# Written out where they are used rather than as components: a generated client then names
# them after their body (CampaignInCustomer, CampaignInPlan, CampaignChangesPlan), and the
# response's own `Customer` keeps its name.
INLINE: tuple[type[Body], ...] = (Customer, Plan, PlanChanges)
