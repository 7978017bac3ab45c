"""The short fuzz run inside `make test`: schemathesis against a freshly started local stack,
once per role, a few examples per operation (about 370 cases). `make fuzz` is the long run."""
from __future__ import annotations

from tests.fuzz.run import Company, Stack, fuzz, seed


def test_no_5xx_and_every_response_as_the_spec_and_api_md_say():
    with Stack() as stack:
        co = Company()
        seed(stack.base, co)
        # the fuzzing phase only, with a fixed seed: a short run that is the same run every time
        results = fuzz(stack.base, co, max_examples=5, phases="fuzzing", seed_value=20261123)
    failed = {role: out for role, (code, out) in results.items() if code != 0}
    assert not failed, "\n".join(f"===== {role}\n{out[-6000:]}" for role, out in failed.items())
    for role, (_, out) in results.items():
        assert " passed" in out and "generated" in out, (role, out[-2000:])
