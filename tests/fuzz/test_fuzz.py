"""The short fuzz run inside `make test`: schemathesis against a freshly started local stack,
once per role (two roles at a time), a few examples per operation, path parameters drawn from
the seeded company's ids as often as generated. `make fuzz` is the long run."""

from __future__ import annotations

import re
from collections import defaultdict

import yaml

from tests.fuzz.run import SPEC, Company, Stack, fuzz, seed


def _answers(stack_log: str) -> dict[str, set[int]]:
    """The statuses the stack answered, by route (its request log lines)."""
    out: dict[str, set[int]] = defaultdict(set)
    for route, status in re.findall(r'"route":"([^"]+)","status":(\d+)', stack_log):
        out[route].add(int(status))
    return out


def test_no_5xx_and_every_response_as_the_spec_and_api_md_say():
    with Stack() as stack:
        co = Company()
        ids = seed(stack.base, co)
        # the fuzzing phase only, with a fixed seed: a short run that is the same run every time
        results = fuzz(stack.base, co, max_examples=5, phases="fuzzing", seed_value=20261123, ids=ids)
        answers = _answers(stack.log.read_text(errors="replace"))
    failed = {role: out for role, (code, out) in results.items() if code != 0}
    assert not failed, "\n".join(f"===== {role}\n{out[-6000:]}" for role, out in failed.items())
    for role, (_, out) in results.items():
        assert " passed" in out and "generated" in out, (role, out[-2000:])
    # the seeded ids reached the fuzzed requests: a generated id never names a campaign or a budget
    fuzzed = yaml.safe_load(SPEC.read_text())["paths"]
    for path in ("/campaigns/{campaign_id}", "/budgets/{budget_id}"):
        if "get" in fuzzed.get(path, {}):
            assert 200 in answers[f"GET {path}"], (path, answers[f"GET {path}"])
    assert 200 in answers["GET /campaigns/{campaign_id}"]
