"""Structure-aware fuzzing of a real scrubber (config/federated.yaml, four real backends) over
both transports and both HTTP encodings, every signal: valid protobuf with hostile content,
half of it with ids and enums the Collector refuses.

Every answer must be one a client can act on: accepted, 400 / INVALID_ARGUMENT (malformed),
413 (never admissible) or 429 / RESOURCE_EXHAUSTED with a back-off. Never 500 / INTERNAL,
never UNAVAILABLE from a bug, never a dead process or a health endpoint that stops answering,
never an "unexpected" error in scrubber's log. Outcome counts go to $SCRUBBER_FUZZ_REPORT
(JSON) when set; tests/fuzz/README.md has the figures of the long run.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubber.pdata import Signal
from tests.fuzz.federated import TRANSPORTS, Federated
from tests.fuzz.strategies import REQUESTS

EXAMPLES = int(os.environ.get("SCRUBBER_FUZZ_RECEIVER_EXAMPLES", "8"))
ACCEPTABLE = {"ok", "invalid", "too_large", "retry"}
OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with Federated(tmp_path_factory.mktemp("fuzz")) as federated:
        yield federated
        stderr = federated.process.stderr()
    report = os.environ.get("SCRUBBER_FUZZ_REPORT")
    if report:
        rows = {f"{signal}/{transport}/{kind}": n for (signal, transport, kind), n in sorted(OUTCOMES.items())}
        with open(report, "w") as handle:
            json.dump({"outcomes": rows, "requests": sum(OUTCOMES.values())}, handle, indent=1)
    assert "unexpected" not in stderr and "Traceback" not in stderr, stderr[-3000:]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("signal", list(Signal))
@settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_answer_is_actionable_and_the_process_survives(running, signal, transport, data):
    request = data.draw(REQUESTS[signal](valid_ids=data.draw(st.booleans())))
    outcome = running.send(transport, signal, request, timeout=15)
    OUTCOMES[(signal.value, transport, outcome.kind)] += 1
    assert outcome.kind in ACCEPTABLE, outcome
    if outcome.kind == "retry":
        assert outcome.retry_after >= 1
    assert running.process.proc.poll() is None, "scrubber died"
    assert running.process.ready(), "the health endpoint stopped answering"
