"""The local S3 trigger: a bucket notification to a local queue, and a runner that hands the
handler the event Lambda sends for S3, within seconds of a presigned upload."""

from __future__ import annotations

import threading
import time
import uuid

import boto3
import requests

from devstack.uploads import S3UploadRunner, configure_bucket, normalise


def _runner(handler, bucket: str):
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket=bucket)
    queue = configure_bucket(s3, sqs, bucket, "uploads/", f"q-{bucket}")
    dlq = sqs.create_queue(QueueName=f"dlq-{bucket}")["QueueUrl"]
    return s3, sqs, S3UploadRunner(handler, queue, dlq_url=dlq, sqs=sqs).start(), dlq


def test_presigned_upload_reaches_the_handler_in_lambdas_s3_event_shape():
    bucket = f"runner-{uuid.uuid4().hex[:10]}"
    seen, arrived = [], threading.Event()

    def handler(event, context):
        seen.append(event)
        arrived.set()

    s3, _, runner, _ = _runner(handler, bucket)
    try:
        key = "uploads/C1/A 1+x"
        post = s3.generate_presigned_post(
            Bucket=bucket,
            Key=key,
            Fields={"Content-Type": "image/jpeg"},
            Conditions=[{"Content-Type": "image/jpeg"}],
            ExpiresIn=60,
        )
        started = time.monotonic()
        r = requests.post(post["url"], data=post["fields"], files={"file": ("f", b"12345")}, timeout=10)
        assert r.status_code in (200, 204)
        s3.put_object(Bucket=bucket, Key="elsewhere/ignored", Body=b"1")  # outside the prefix
        assert arrived.wait(5.0), "no event within 5 s"
        assert time.monotonic() - started < 5.0
        assert runner.drain(5.0)
    finally:
        runner.stop()
    assert len(seen) == 1
    record = seen[0]["Records"][0]
    assert set(record) >= {
        "eventVersion",
        "eventSource",
        "awsRegion",
        "eventTime",
        "eventName",
        "userIdentity",
        "requestParameters",
        "responseElements",
        "s3",
    }
    assert record["eventSource"] == "aws:s3" and record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == bucket and record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    obj = record["s3"]["object"]
    assert obj["key"] == "uploads/C1/A+1%2Bx"  # URL-encoded as S3 sends it
    assert obj["size"] == 5 and obj["eTag"] and obj["sequencer"]


def test_a_failing_handler_is_retried_then_parked():
    bucket = f"runner-{uuid.uuid4().hex[:10]}"
    calls = []

    def handler(event, context):
        calls.append(event)
        raise RuntimeError("boom")

    s3, sqs, runner, dlq = _runner(handler, bucket)
    try:
        s3.put_object(Bucket=bucket, Key="uploads/C/A", Body=b"1")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(calls) < 3:
            time.sleep(0.05)
        assert runner.drain(5.0)
    finally:
        runner.stop()
    assert len(calls) == 3  # the first try and Lambda's two async retries
    parked = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"]
    assert "boom" in parked[0]["Body"] and runner.alive is False


def test_test_events_are_skipped():
    assert normalise({"Service": "Amazon S3", "Event": "s3:TestEvent"}) is None
