"""Local runner for the app's `@app.schedule` functions: fires each at the times its
EventBridge expression names (cron in UTC, or a rate), with the event EventBridge sends.

A handler that raises is logged and counted, and the runner goes on to the next fire time
(EventBridge retries failed asynchronous invocations too; the scheduled functions here are
safe to run twice). `python -m devstack invoke <function>` runs one now, see `invoke_now`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger("devstack.scheduler")

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split(), start=1)}
REGION = "us-east-1"


def _field(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The values a cron field allows (None: any). Supports * ? a a-b a,b */n a/n and names."""
    text = str(text).upper()
    if text in ("*", "?"):
        return None
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            start, end = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = hi if step != 1 else start
        if not (lo <= start <= hi and lo <= end <= hi):
            raise ValueError(f"cron field {text!r} is outside {lo}-{hi}")
        out.update(range(start, end + 1, step))
    return out


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise ValueError(f"unsupported cron value {text!r} (L, W and # are not supported locally)")
    return int(text)


class Cron:
    """An EventBridge cron(min hour day-of-month month day-of-week year), evaluated in UTC."""

    def __init__(self, minutes: str, hours: str, day_of_month: str, month: str, day_of_week: str, year: str) -> None:
        self.minutes = _field(minutes, 0, 59)
        self.hours = _field(hours, 0, 23)
        self.dom = _field(day_of_month, 1, 31)
        self.month = _field(month, 1, 12, _MONTHS)
        self.dow = _field(day_of_week, 1, 7, _DAYS)
        self.year = _field(year, 1970, 2199)

    @classmethod
    def parse(cls, expression: str) -> Cron:
        inner = expression.strip()
        if not (inner.startswith("cron(") and inner.endswith(")")):
            raise ValueError(f"not a cron expression: {expression!r}")
        parts = inner[5:-1].split()
        if len(parts) != 6:
            raise ValueError(f"a cron expression has 6 fields: {expression!r}")
        return cls(*parts)

    def _day_matches(self, day: dt.date) -> bool:
        dow = (day.isoweekday() % 7) + 1  # SUN=1 … SAT=7
        return (
            (self.dom is None or day.day in self.dom)
            and (self.month is None or day.month in self.month)
            and (self.dow is None or dow in self.dow)
            and (self.year is None or day.year in self.year)
        )

    def next_after(self, now: dt.datetime) -> dt.datetime:
        """The first fire time strictly after `now` (aware UTC)."""
        start = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
        for offset in range(0, 366 * 5):
            day = start.date() + dt.timedelta(days=offset)
            if not self._day_matches(day):
                continue
            for hour in sorted(self.hours if self.hours is not None else range(24)):
                for minute in sorted(self.minutes if self.minutes is not None else range(60)):
                    at = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
                    if at > now:
                        return at
        raise ValueError("the cron expression never fires in the next five years")


class Rate:
    """An EventBridge rate(n unit): every n minutes/hours/days from when the runner started."""

    def __init__(self, expression: str) -> None:
        value, unit = expression.strip()[5:-1].split()
        seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s").lower()]
        self.period = dt.timedelta(seconds=int(value) * seconds)

    def next_after(self, now: dt.datetime) -> dt.datetime:
        return now + self.period


def parse_schedule(expression: Any) -> Cron | Rate:
    text = expression if isinstance(expression, str) else expression.to_string()
    return Rate(text) if text.startswith("rate(") else Cron.parse(text)


def scheduled_event(function_arn: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """The event EventBridge hands a scheduled Lambda function."""
    at = at or dt.datetime.now(dt.UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [function_arn.replace(":function:", ":rule/")],
        "detail": {},
    }


class ScheduleRunner:
    """Fires one scheduled function at its times (fits devstack.stack.Runner)."""

    def __init__(
        self,
        name: str,
        handler: Callable[[dict[str, Any], Any], Any],
        expression: Any,
        *,
        function_name: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.name = name
        self.handler = handler
        self.schedule = parse_schedule(expression)
        self.expression = expression if isinstance(expression, str) else expression.to_string()
        self.function_name = function_name or name
        self.function_arn = f"arn:aws:lambda:{REGION}:000000000000:function:{self.function_name}"
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.invocations = 0
        self.failures = 0
        self.next_fire: dt.datetime | None = None
        self.last_result: Any = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.error is None

    def start(self) -> ScheduleRunner:
        self._thread = threading.Thread(target=self._run, name=f"schedule-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def drain(self, timeout: float = 10.0) -> bool:
        """True once no invocation is under way (a schedule has no backlog to catch up with)."""
        return self._idle.wait(timeout)

    def fire(self, at: dt.datetime | None = None) -> Any:
        """Invoke the function once now, as EventBridge would."""
        from devstack.streams import LambdaContext

        self._idle.clear()
        try:
            self.invocations += 1
            context = LambdaContext(self.function_name, self.function_arn, 512, 900)
            self.last_result = self.handler(scheduled_event(self.function_arn, at), context)
            return self.last_result
        finally:
            self._idle.set()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                now = self._clock()
                self.next_fire = self.schedule.next_after(now)
                log.info(
                    "schedule %s (%s): next at %s UTC",
                    self.name,
                    self.expression,
                    self.next_fire.strftime("%Y-%m-%d %H:%M"),
                )
                if self._stop.wait(max(0.0, (self.next_fire - now).total_seconds())):
                    return
                try:
                    result = self.fire(self.next_fire)
                    log.info("schedule %s fired: %s", self.name, str(result)[:200])
                except Exception as exc:  # logged; the next fire time still comes
                    self.failures += 1
                    log.error("schedule %s failed: %s: %s", self.name, type(exc).__name__, exc)
        except BaseException as exc:  # a broken runner is reported by the watchdog
            self.error = exc


def schedule_sources(app: Any) -> list[Any]:
    from chalice.app import ScheduledEventConfig

    return [s for s in getattr(app, "event_sources", []) if isinstance(s, ScheduledEventConfig)]


def runners_for_app(app: Any, stage: str = "dev") -> list[ScheduleRunner]:
    """One (unstarted) runner per `@app.schedule` function of a Chalice app."""
    from devstack.streams import handler_for

    return [
        ScheduleRunner(
            s.name, handler_for(app, s), s.schedule_expression, function_name=f"{app.app_name}-{stage}-{s.name}"
        )
        for s in schedule_sources(app)
    ]


def invoke_now(name: str) -> int:
    """`python -m devstack invoke <function>`: run a scheduled function of the running local
    stack now (its endpoint is in var/run/endpoint), print what it returned."""
    import json
    import os

    from devstack import READY_FILE, VAR_DIR, running_endpoint, tokens
    from devstack.stack import STAGE, _chalice_config, local_env

    endpoint = running_endpoint()
    if endpoint is None:
        print("the local stack is not running: start it with `make run` first", flush=True)
        return 2
    config, _ = _chalice_config(VAR_DIR.parent, STAGE)
    os.environ.update({k: str(v) for k, v in config.environment_variables.items()})
    _, jwks_path = tokens.ensure_keys()
    os.environ.update(local_env(endpoint, jwks_path=jwks_path, ready_file=READY_FILE))
    import app as app_module

    app = app_module.app
    runners = {r.name: r for r in runners_for_app(app, STAGE)}
    if name not in runners:
        print(f"no scheduled function {name!r}; one of: {', '.join(sorted(runners)) or 'none'}", flush=True)
        return 2
    print(json.dumps(runners[name].fire(), indent=2, default=str), flush=True)
    return 0
