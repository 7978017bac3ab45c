"""`python -m devstack run` end to end, on a temporary copy of the repo whose app.py is a small
fake (the real app is tested elsewhere): ready file, health, local tokens, stream handler fed
from a write made through the API, parallel requests, clean stop on SIGTERM, and no orphan
moto process when the stack is killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from devstack.client import free_port

ROOT = Path(__file__).resolve().parents[2]

FAKE_APP = """
import os
import time

from chalice import Chalice, Response

app = Chalice(app_name="huixiang")
SEEN = []


@app.route("/health")
def health():
    from chalicelib.config import settings
    ready = settings().ready_file
    if ready and not os.path.exists(ready):
        return Response(status_code=503, body={"status": "starting"})
    return {"status": "ok"}


@app.route("/whoami")
def whoami():
    import jwt
    from chalicelib.config import settings
    s = settings()
    token = app.current_request.headers["authorization"].split(" ", 1)[1]
    jwks = jwt.PyJWKSet.from_json(open(s.jwks_path).read())
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [k for k in jwks.keys if k.key_id == kid]
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=s.token_audience,
                      issuer=s.token_issuer)


@app.route("/slow")
def slow():
    time.sleep(1)
    return {}


@app.route("/feedback/{cid}", methods=["PUT"])
def put_feedback(cid):
    from chalicelib.dal.models import FeedbackModel
    FeedbackModel(campaign_id=cid, sk="draft", status="draft", author_id="u",
                  created_at="t", updated_at="t").save()
    return {}


@app.route("/seen")
def seen():
    return {"seen": SEEN}


@app.on_dynamodb_record(
    stream_arn=os.environ.get("FEEDBACK_STREAM_ARN",
                              "arn:aws:dynamodb:us-east-1:000000000000:table/huixiang-dev-feedback/stream/local"),
    batch_size=100, starting_position="TRIM_HORIZON")
def on_feedback_change(event):
    for record in event.to_dict()["Records"]:
        SEEN.append(record["dynamodb"]["Keys"]["campaign_id"]["S"])
    return {"batchItemFailures": []}
"""


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # exited, waiting to be reaped by its (new) parent
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repo copy: devstack/, chalicelib (create_tables needs its models), and the fake app."""
    for package in ("devstack", "chalicelib"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "app.py").write_text(FAKE_APP)
    return tmp_path


def _start(repo: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PORT"] = str(port)
    log = open(repo / "stack.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"], cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    ready = repo / "var" / "run" / "ready"
    deadline = time.monotonic() + 60
    while not (ready.exists() and ready.read_text().startswith(f"{proc.pid} ")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("stack did not become ready:\n" + (repo / "stack.log").read_text())
        time.sleep(0.1)
    return proc


def test_stack_serves_feeds_streams_and_stops_cleanly(repo: Path) -> None:
    port = free_port()
    proc = _start(repo, port)
    url = f"http://127.0.0.1:{port}"
    try:
        [moto_pid] = _children(proc.pid)
        assert _get(f"{url}/health") == (200, {"status": "ok"})

        token = subprocess.run(
            [sys.executable, "-m", "devstack", "token", "--sub", "u-1", "--role", "rep", "--org", "CN/EAST/SH"],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        status, claims = _get(f"{url}/whoami", token)
        assert status == 200 and claims["sub"] == "u-1" and claims["custom:org"] == "CN/EAST/SH"

        req = urllib.request.Request(
            f"{url}/feedback/c-1", method="PUT", data=b"{}", headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(req, timeout=10).close()
        deadline = time.monotonic() + 10
        while _get(f"{url}/seen")[1]["seen"] != ["c-1"]:
            assert time.monotonic() < deadline, "the stream handler never saw the write"
            time.sleep(0.1)

        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: _get(f"{url}/slow")[0], range(4)))
        assert statuses == [200] * 4
        assert time.monotonic() - started < 3.0  # served in parallel, not one after another
    except BaseException:
        proc.kill()
        raise

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert not (repo / "var" / "run" / "ready").exists()
    assert _gone(moto_pid, 5)
    log = (repo / "stack.log").read_text()
    assert "is ready: " + url in log and "devstack token" in log


def test_moto_dies_with_a_killed_stack_and_a_stale_ready_file_is_replaced(repo: Path) -> None:
    proc = _start(repo, free_port())
    [moto_pid] = _children(proc.pid)
    proc.kill()  # no chance to clean up: PR_SET_PDEATHSIG must take moto down
    proc.wait(10)
    assert _gone(moto_pid, 10)

    ready = repo / "var" / "run" / "ready"
    assert ready.exists()  # stale: the killed stack could not remove it
    port = free_port()
    proc = _start(repo, port)  # removes the stale file, writes it again once up
    try:
        assert str(port) in ready.read_text()
        assert _get(f"http://127.0.0.1:{port}/health")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0


def test_watchdog_removes_the_ready_file_when_a_runner_dies(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from devstack.stack import Stack
    from devstack.streams import StreamRunner

    class AliveMoto:
        alive = True

        def stop(self) -> None:
            pass

    stack = Stack(port=0, ready_file=tmp_path / "ready")
    stack.moto = AliveMoto()  # type: ignore[assignment]  # a stand-in: a moto server that never dies
    runner = StreamRunner(lambda event, context: None, "t", name="t")

    def broken_attach() -> bool:
        raise RuntimeError("a bug in the runner")

    runner._attach = broken_attach  # type: ignore[method-assign]  # a runner whose every attach fails
    stack.runners = [runner]
    stack._write_ready()
    stack._watchdog = __import__("threading").Thread(target=stack._watch, daemon=True)
    stack._watchdog.start()
    try:
        assert (tmp_path / "ready").exists()
        runner.start()
        deadline = time.monotonic() + 5
        while (tmp_path / "ready").exists():
            assert time.monotonic() < deadline, "the ready file outlived a dead runner"
            time.sleep(0.05)
        assert not runner.alive and isinstance(runner.error, RuntimeError)
        assert stack.problems() == [f"runner t died: {runner.error!r}"]
        assert not stack.fatal.is_set()  # the API still serves; only readiness is withdrawn
    finally:
        stack.stop()
