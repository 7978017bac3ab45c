"""What the local runners that read an SQS queue share: poller threads that long-poll the queue
and hand what they receive to the runner, a count of batches being handled, and `drain`, which
waits until no message is visible or in flight and no batch is being handled.

devstack.queues (Lambda's SQS event source) and devstack.uploads (S3 upload notifications,
delivered through a queue) differ only in how they receive and what they do with a batch; both
fit the ``Runner`` protocol of devstack.stack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

log = logging.getLogger("devstack.pollers")


class QueuePoller:
    """Polls `queue_url` on `pollers` threads and calls `handle(messages)` with each non-empty
    receive. Subclasses say how to receive (`receive_arguments`) and what a batch means
    (`handle`); `handler(event, context)` is the Lambda function they invoke."""

    kind = "queue"  # in thread names and logs

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], Any],
        queue_url: str,
        *,
        name: str,
        sqs: Any = None,
        pollers: int = 1,
        context_factory: Callable[[], Any] | None = None,
    ) -> None:
        import boto3

        self.handler = handler
        self.queue_url = queue_url
        self.name = name
        self.sqs = sqs or boto3.client("sqs")
        self.pollers = pollers
        self.context_factory = context_factory or (lambda: None)
        self.error: BaseException | None = None
        self.invocations = 0
        self.failures = 0
        self._busy = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- what a subclass says ------------------------------------------------------------------
    def receive_arguments(self) -> dict[str, Any]:
        return {"MaxNumberOfMessages": 10}

    def handle(self, messages: Sequence[Mapping[str, Any]]) -> None:
        raise NotImplementedError

    # -- the Runner protocol ---------------------------------------------------------------------
    def start(self) -> QueuePoller:
        for n in range(self.pollers):
            thread = threading.Thread(target=self._run, name=f"{self.kind}-runner-{self.name}-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    @property
    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def drain(self, timeout: float = 10.0) -> bool:
        """True once no message is visible or in flight and no batch is being handled."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            attrs = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            with self._lock:
                idle = self._busy == 0
            if idle and all(int(v) == 0 for v in attrs.values()):
                return True
            time.sleep(0.05)
        return False

    # -- the poll loop ---------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url, WaitTimeSeconds=1, **self.receive_arguments()
                ).get("Messages", [])
                if not messages:
                    continue
                # received messages count as in flight on the queue until handle deletes them or
                # lets them come back, and the batch counts as busy until handle returns
                with self._lock:
                    self._busy += 1
                try:
                    self.handle(messages)
                finally:
                    with self._lock:
                        self._busy -= 1
        except BaseException as exc:  # noqa: BLE001 - the watchdog reports a dead runner
            self.error = exc
            log.exception("%s runner %s died", self.kind, self.name)
