"""The local stack: moto as the AWS endpoint, the Chalice app served by chalice.local, one
stream runner per DynamoDB stream handler, and a ready file that says when all of it is up.

``Stack`` is usable in-process (tests, benchmarks); ``run()`` is ``python -m devstack run``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from devstack import ENDPOINT_FILE, LOG_DIR, READY_FILE, REPO_ROOT, STATE_DIR, VAR_DIR, logs, persist, tokens
from devstack.atomic_moto import STATE_PATH
from devstack.client import free_port
from devstack.streams import StreamRunner, drain_all, dynamodb_sources, runners_for_app

log = logging.getLogger("devstack.stack")

DEFAULT_PORT = 8000
HOST = "127.0.0.1"
STAGE = "dev"
REGION = "us-east-1"
CATEGORIES = "tasting,display,roadshow,in_store_promotion"
MOTO_LOG: Path = LOG_DIR / "moto.log"

# Environment that would point botocore elsewhere than the local endpoint, or at a profile
# that may not exist here.
_SCRUBBED_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_STS",
)

_PR_SET_PDEATHSIG = 1


def _remove_if_ours(path: Path, content: str) -> None:
    """Remove a run file this stack wrote, not one a second stack (sharing var/, as the test
    suites' stacks do) has written since: that stack is still running and still needs it."""
    try:
        if path.read_text() == content:
            path.unlink()
    except FileNotFoundError:
        pass


class StackError(RuntimeError):
    """A start-up problem worth one line, not a traceback (e.g. the port is taken)."""


class Runner(Protocol):
    """What the stack and its watchdog need of a background event runner (the stream runner
    today; an S3 upload runner would fit the same slot)."""

    name: str
    error: BaseException | None
    invocations: int

    @property
    def alive(self) -> bool: ...

    def stop(self, timeout: float = ...) -> None: ...

    def drain(self, timeout: float = ...) -> bool: ...


# ---------------------------------------------------------------------------------------------
# moto
# ---------------------------------------------------------------------------------------------


def _child_preexec(parent_pid: int) -> Callable[[], None]:
    """preexec_fn for children that must die with this process: PR_SET_PDEATHSIG(SIGTERM).

    libc and prctl are looked up here, before fork, so the child only makes the call.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(0)

    return preexec


class MotoServer:
    """moto's server in a subprocess on a free loopback port, in its own process group, that
    dies with this process (PR_SET_PDEATHSIG) and is stopped by ``stop()``.

    PR_SET_PDEATHSIG fires when the *thread* that started it ends: call ``start()`` from the
    main thread (or one that lives as long as the server should).
    """

    def __init__(
        self,
        host: str = HOST,
        port: int | None = None,
        log_path: Path | None = MOTO_LOG,
        *,
        state_dir: Path | None = None,
        fresh: bool = False,
        snapshot_seconds: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.log_path = log_path
        self.state_dir = state_dir
        self.fresh = fresh
        self.snapshot_seconds = snapshot_seconds
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 120.0) -> str:
        """Start the server (restoring the saved state, if any) and wait until it answers;
        returns its URL."""
        for _attempt in range(3):
            port = self.port or free_port(self.host)
            proc = self._spawn(port, timeout)
            if proc is not None:
                self.port = port
                log.info("moto server pid %s on %s", proc.pid, self.url)
                return self.url
            self._refuse_state()
            self.stop()
            if self.port:  # a fixed port cannot be retried elsewhere
                break
        raise StackError(f"moto server did not start (see {self.log_path})")

    def _refuse_state(self) -> None:
        """A server that exited because of the saved state says why; that is no port problem
        to retry elsewhere."""
        if self.proc is None or self.proc.returncode not in (persist.EXIT_STATE_BUSY, persist.EXIT_STATE_UNREADABLE):
            return
        reason = "the saved state could not be used"
        if self.log_path is not None:
            lines = [x for x in self.log_path.read_text(errors="replace").splitlines() if "devstack.motoserver: " in x]
            if lines:
                reason = lines[-1].split("devstack.motoserver: ", 1)[1]
        if self.proc.returncode == persist.EXIT_STATE_UNREADABLE:
            aside = persist.previous_dir(self.state_dir) if self.state_dir is not None else "…previous"
            reason += f"; `make run FRESH=1` starts empty (and keeps the saved state aside in {aside})"
        self.proc = None
        raise StackError(reason)

    def _spawn(self, port: int, timeout: float) -> subprocess.Popen[bytes] | None:
        out: IO[bytes] | int = subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log_path, "ab")  # closed below, once the child has it
        env = dict(os.environ, MOTO_PORT=str(port))
        cmd = [
            sys.executable,
            "-m",
            "devstack.motoserver",
            "--parent-pid",
            str(os.getpid()),
            "-H",
            self.host,
            "-p",
            str(port),
        ]
        if self.state_dir is not None:
            cmd += ["--state-dir", str(self.state_dir)] + (["--fresh"] if self.fresh else [])
            if self.snapshot_seconds:
                cmd += ["--snapshot-seconds", str(self.snapshot_seconds)]
        try:
            self.proc = proc = subprocess.Popen(
                cmd,
                cwd=str(REPO_ROOT),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                preexec_fn=_child_preexec(os.getpid()),
            )
        finally:
            if not isinstance(out, int):
                out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return None  # e.g. the port was taken between free_port() and bind()
            try:
                urllib.request.urlopen(f"http://{self.host}:{port}/moto-api/", timeout=1).close()
                return proc
            except urllib.error.HTTPError:
                return proc  # any HTTP answer means it serves
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        return None

    def local_call(self, method: str, path: str, timeout: float = 60.0) -> Any:
        """One of the server's own requests (devstack.atomic_moto: the saved state, checkpoints)."""
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM its process group (it saves its state, if it keeps one, and exits), then
        SIGKILL if it lingers."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


# ---------------------------------------------------------------------------------------------
# App environment and Chalice config
# ---------------------------------------------------------------------------------------------


def _chalice_config(root: Path, stage: str) -> tuple[Any, dict[str, Any]]:
    """The Chalice Config of ``stage`` (from .chalice/config.json if present) and its
    user-params dict, into which the app is put once imported (as the Chalice CLI does)."""
    from chalice.config import Config
    from chalice.constants import DEFAULT_LAMBDA_MEMORY_SIZE, DEFAULT_LAMBDA_TIMEOUT

    path = root / ".chalice" / "config.json"
    if path.is_file():
        disk = json.loads(path.read_text())
    else:
        disk = {"version": "2.0", "app_name": "huixiang", "stages": {stage: {}}}
    params: dict[str, Any] = {}
    config = Config(
        chalice_stage=stage,
        user_provided_params=params,
        config_from_disk=disk,
        default_params={
            "project_dir": str(root),
            "api_gateway_stage": "api",
            "autogen_policy": True,
            "lambda_timeout": DEFAULT_LAMBDA_TIMEOUT,
            "lambda_memory_size": DEFAULT_LAMBDA_MEMORY_SIZE,
        },
    )
    return config, params


def local_env(
    endpoint_url: str, *, jwks_path: Path, ready_file: Path, stage: str = STAGE, port: int | None = None
) -> dict[str, str]:
    """The environment the app gets locally (on top of the stage's environment_variables).

    Webhooks may be delivered to http://127.0.0.1 (local receivers), on a retry schedule
    compressed to seconds; a caller's own HUIXIANG_WEBHOOK_RETRY_DELAYS and
    HUIXIANG_WEBHOOK_TIMEOUT win (the benchmarks compress further)."""
    from devstack.webhooks import LOCAL_RETRY_DELAYS

    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "HUIXIANG_STAGE": stage,
        "JWKS_PATH": str(jwks_path),
        "JWKS_URL": "",  # a stage's Cognito JWKS URL must not win over the local keys
        "TOKEN_ISSUER": tokens.ISSUER,
        "TOKEN_AUDIENCE": tokens.AUDIENCE,
        "HUIXIANG_READY_FILE": str(ready_file),
        "HUIXIANG_CATEGORIES": CATEGORIES,
        "HUIXIANG_OUTBOX_DIR": str(VAR_DIR / "outbox"),
        "HUIXIANG_WEBHOOK_LOCAL_HTTP": "1",
        "HUIXIANG_WEBHOOK_RETRY_DELAYS": os.environ.get("HUIXIANG_WEBHOOK_RETRY_DELAYS") or LOCAL_RETRY_DELAYS,
        "HUIXIANG_WEBHOOK_TIMEOUT": os.environ.get("HUIXIANG_WEBHOOK_TIMEOUT") or "10",
        **({"CONSOLE_URL": f"http://{HOST}:{port}/console/"} if port else {}),
    }


# ---------------------------------------------------------------------------------------------
# The stack
# ---------------------------------------------------------------------------------------------


class Stack:
    """Everything ``python -m devstack run`` starts, usable in-process.

    ``start()`` brings it up and writes the ready file last; ``stop()`` removes the ready file
    first and tears down in reverse. A watchdog thread removes the ready file if a stream
    runner, the HTTP server or moto dies; ``fatal`` is set when the stack cannot go on.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        host: str = HOST,
        *,
        stage: str = STAGE,
        root: Path = REPO_ROOT,
        ready_file: Path = READY_FILE,
        moto_log: Path | None = MOTO_LOG,
        state_dir: Path | None = None,
        fresh: bool = False,
        snapshot_seconds: float | None = None,
    ) -> None:
        self.port = port
        self.host = host
        self.stage = stage
        self.root = root
        self.ready_file = ready_file
        self.state_dir = state_dir
        self.moto = MotoServer(
            host=host, log_path=moto_log, state_dir=state_dir, fresh=fresh, snapshot_seconds=snapshot_seconds
        )
        self.restored: dict[str, Any] | None = None
        self.app: Any = None
        self.app_module: Any = None
        self.chalice_config: Any = None
        self.runners: list[Runner] = []
        self.dlq_urls: dict[str, str] = {}
        self.fatal = threading.Event()
        self._http: Any = None
        self._http_thread: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        self._stopping = threading.Event()
        self._ready = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- start -------------------------------------------------------------------------------

    def start(self) -> Stack:
        self._remove_ready(stale=True)  # a file left by a killed run must not claim readiness
        self._check_port()
        _, jwks_path = tokens.ensure_keys()
        if self.state_dir is not None and (pid := persist.holder(self.state_dir)):
            log.warning(
                "%s is held by moto pid %s (a stack that is still saving, or another make run); waiting for it",
                self.state_dir,
                pid,
            )
        endpoint = self.moto.start()
        if self.state_dir is not None:
            self.restored = self.moto.local_call("GET", STATE_PATH).get("restored")

        config, params = _chalice_config(self.root, self.stage)
        for key in _SCRUBBED_ENV:
            os.environ.pop(key, None)
        # Like `chalice local`: the stage's environment first, then the local overrides.
        os.environ.update({k: str(v) for k, v in config.environment_variables.items()})
        os.environ.update(
            local_env(endpoint, jwks_path=jwks_path, ready_file=self.ready_file, stage=self.stage, port=self.port)
        )

        self.app_module, self.app = self._import_app()
        params["chalice_app"] = self.app
        self.chalice_config = config

        self._create_resources()
        self._start_runners()
        self._start_http()
        for r in self.runners:  # attached to their streams and caught up
            if not r.drain(15.0):
                raise StackError(f"stream runner {r.name} did not catch up with its stream")
        self._write_ready()
        self._watchdog = threading.Thread(target=self._watch, name="devstack-watchdog", daemon=True)
        self._watchdog.start()
        return self

    def _check_port(self) -> None:
        """Fail before starting anything if the API port is taken."""
        if not self.port:
            return
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as HTTPServer does
            try:
                s.bind((self.host, self.port))
            except OSError as e:
                raise StackError(
                    f"cannot listen on {self.host}:{self.port}: {e.strerror}; set PORT or --port to another port"
                ) from None

    def _import_app(self) -> tuple[Any, Any]:
        """Import app.py only now: settings and PynamoDB hosts are read at import time."""
        from chalice.app import Chalice

        if "app" in sys.modules or "chalicelib.config" in sys.modules:
            log.warning(
                "app/chalicelib were imported before the local environment was set; "
                "their settings may not point at the local endpoint"
            )
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
        module = importlib.import_module("app")
        app = getattr(module, "app", None)
        if not isinstance(app, Chalice):
            raise RuntimeError("app.py has no module-level Chalice `app`")
        return module, app

    def _create_resources(self) -> None:
        import boto3

        from chalicelib.config import settings
        from chalicelib.dal.models import create_tables

        create_tables()
        s = settings()
        session = boto3.session.Session()
        s3 = session.client("s3", region_name=s.region)
        try:
            s3.create_bucket(Bucket=s.attachments_bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        from devstack.evaluation import create_resources as create_evaluation_resources
        from devstack.webhooks import create_resources as create_webhook_resources

        create_evaluation_resources()
        create_webhook_resources()
        ENDPOINT_FILE.parent.mkdir(parents=True, exist_ok=True)
        self._endpoint_content = self.moto.url + "\n"
        ENDPOINT_FILE.write_text(self._endpoint_content)
        sqs = session.client("sqs", region_name=s.region)
        for source in dynamodb_sources(self.app):
            name = f"{self.app.app_name}-{self.stage}-{source.name}-dlq"
            self.dlq_urls[source.name] = sqs.create_queue(QueueName=name)["QueueUrl"]
        log.info("tables, bucket %s and %d DLQ(s) ready", s.attachments_bucket, len(self.dlq_urls))
        # S3 triggers: the bucket notifies a local queue; a runner per trigger invokes the handler.
        from devstack import queues, uploads

        self._s3_runners = uploads.runners_for_app(self.app, s3, sqs, stage=self.stage)
        self._sqs_runners = queues.runners_for_app(self.app, sqs, stage=self.stage)

    def _start_runners(self) -> None:
        # With a saved state, each runner tells moto how far it got, so that a snapshot keeps
        # exactly the stream records still to be handled (devstack.persist).
        runners: list[StreamRunner] = runners_for_app(
            self.app, stage=self.stage, dlq_urls=self.dlq_urls, report_checkpoints=self.state_dir is not None
        )
        for r in runners:
            fn = self.chalice_config.scope(self.stage, r.name)
            r.memory_limit_in_mb = fn.lambda_memory_size
            r.timeout_seconds = fn.lambda_timeout
            r.start()
        self.runners = list(runners)
        for upload_runner in getattr(self, "_s3_runners", []):
            self.runners.append(upload_runner.start())
        for queue_runner in getattr(self, "_sqs_runners", []):
            self.runners.append(queue_runner.start())
        from devstack.scheduler import runners_for_app as schedule_runners

        for schedule in schedule_runners(self.app, self.stage):
            self.runners.append(schedule.start())

    def _start_http(self) -> None:
        from chalice.deploy.validate import validate_routes

        from devstack.gateway import make_api_server

        validate_routes(self.app.routes)  # what `chalice deploy` would refuse, as `chalice local`
        # chalice.local's threaded server (a thread per connection, a thread-local
        # `app.current_request`), answering unknown routes and methods as API Gateway does.
        self._http = make_api_server(self.app, self.chalice_config, self.host, self.port)
        from devstack import console

        console.attach(self._http.server, storage_origin=self.moto.url)  # /console/ beside the API
        self.port = self._http.server.server_address[1]  # port 0: the one bound
        self._http_thread = threading.Thread(
            target=self._http.server.serve_forever, kwargs={"poll_interval": 0.2}, name="devstack-http", daemon=True
        )
        self._http_thread.start()

    # -- readiness and watchdog ----------------------------------------------------------------

    def _write_ready(self) -> None:
        self.ready_file.parent.mkdir(parents=True, exist_ok=True)
        self._ready_content = f"{os.getpid()} {self.url}\n"
        self.ready_file.write_text(self._ready_content)
        self._ready = True

    def _remove_ready(self, stale: bool = False) -> None:
        """Withdraw readiness: the file this stack wrote (or, at start, whatever file is left)."""
        self._ready = False
        if stale:
            self.ready_file.unlink(missing_ok=True)
        elif getattr(self, "_ready_content", None):
            _remove_if_ours(self.ready_file, self._ready_content)

    def problems(self) -> list[str]:
        """What is down (empty when healthy)."""
        out = [f"runner {r.name} died: {r.error!r}" for r in self.runners if not r.alive]
        if not self.moto.alive:
            out.append("moto server exited")
        if self._http_thread is not None and not self._http_thread.is_alive():
            out.append("HTTP server stopped")
        return out

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            problems = self.problems()
            if problems and self._ready:
                self._remove_ready()
                log.error("not ready any more (%s); removed %s", "; ".join(problems), self.ready_file)
            if any(not p.startswith("runner ") for p in problems):
                self.fatal.set()  # no endpoint or no server: nothing left to serve

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every stream runner has caught up (including cascades between them)."""
        streams = [r for r in self.runners if isinstance(r, StreamRunner)]
        return drain_all(streams, timeout) and all(r.drain(timeout) for r in self.runners)

    # -- stop --------------------------------------------------------------------------------

    def _save_state(self) -> None:
        """Save the state now that nothing changes it any more, and say so (moto would save
        it too when stopped, but silently)."""
        if self.state_dir is None or not self.moto.alive:
            return
        try:
            status = self.moto.local_call("POST", STATE_PATH + "/save")
        except (OSError, ValueError) as e:
            log.error("could not save the local state to %s: %s", self.state_dir, e)
            return
        saved = status.get("saved") or {}
        log.info(
            "state saved in %s: %s item(s), %s object(s); `make run` continues from it, `make run FRESH=1` starts empty",
            self.state_dir,
            saved.get("items", 0),
            saved.get("objects", 0),
        )

    def stop(self) -> None:
        """Remove the ready file, then stop the HTTP server, the runners and moto."""
        self._stopping.set()
        self._remove_ready()
        if self._http is not None:
            self._http.server.shutdown()
            self._http.server.server_close()
            self._http = None
        for r in self.runners:
            r.stop(timeout=10.0)
        self._save_state()
        self.moto.stop()
        if getattr(self, "_endpoint_content", None):
            _remove_if_ours(ENDPOINT_FILE, self._endpoint_content)
        log.info("local stack stopped")


# ---------------------------------------------------------------------------------------------
# python -m devstack run
# ---------------------------------------------------------------------------------------------


class _Shutdown(BaseException):
    """Raised in the main thread by the first stop signal while the stack is still starting
    (a BaseException, like KeyboardInterrupt, so no `except Exception` on the way swallows it)."""


class _StopSignals:
    """SIGINT, SIGTERM and SIGHUP all mean "stop", once.

    One Ctrl-C under `make run` reaches the stack twice or more: the terminal signals the whole
    foreground process group (make and the stack), and make forwards a SIGTERM it receives to
    its child. The first signal asks for the stop (and cuts a start-up short); the others find
    the stop under way and do nothing, so the teardown is never interrupted by a traceback.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.starting = False
        self.received: list[str] = []
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        self._old = {s: signal.signal(s, self._on_signal) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc: Any) -> None:
        for s, handler in self._old.items():
            signal.signal(s, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.received.append(signal.Signals(signum).name)
        if self.requested.is_set():
            return
        self.requested.set()
        if self.starting:
            raise _Shutdown(signal.Signals(signum).name)


def _shown(path: Path) -> str:
    """A path as the user should type it: relative to where they are, when it is below."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _data_line(stack: Stack) -> str:
    if stack.state_dir is None:
        return "  data: starts empty and is not kept (DEVSTACK_STATE_DIR is empty)"
    where = _shown(stack.state_dir)
    if stack.restored:
        r = stack.restored
        found = f"restored {r['items']} item(s) and {r['objects']} object(s) saved {r['saved_at']}"
    else:
        found = "nothing saved yet"
    return f"  data: kept in {where} across restarts ({found}); `make run FRESH=1` starts empty"


def _banner(stack: Stack, log_dir: Path, verbose: bool) -> str:
    py = os.path.relpath(sys.executable, os.getcwd()) if sys.executable else "python"
    handlers = ", ".join(r.name for r in stack.runners) or "none"
    logs_line = f"  logs: {_shown(log_dir / logs.LOG_FILE)} has the app's JSON lines and metrics" + (
        " (shown here too)" if verbose else "; `make run VERBOSE=1` shows them here"
    )
    return "\n".join(
        [
            "",
            f"  huixiang local stack ({stack.stage}) is ready: {stack.url}",
            f"  AWS endpoint (moto): {stack.moto.url}   stream handlers: {handlers}",
            f"  ready file: {stack.ready_file}",
            _data_line(stack),
            logs_line,
            "  webhooks: http://127.0.0.1:<port> receivers allowed here (local only; production takes https),",
            f"  retried after {os.environ.get('HUIXIANG_WEBHOOK_RETRY_DELAYS', '')} s (compressed from hours)",
            "",
            "  Mint a token and call the API:",
            f"    TOKEN=$({py} -m devstack token --sub u-1 --role rep --org CN/EAST/SH --name 'Rep One')",
            f'    curl -H "Authorization: Bearer $TOKEN" {stack.url}/health',
            "",
            "  Ctrl-C to stop. One line per request follows.",
            "",
        ]
    )


def _snapshot_seconds() -> float | None:
    value = os.environ.get("DEVSTACK_SNAPSHOT_SECONDS")
    return float(value) if value else None


def run(port: int | None = None, host: str = HOST, *, fresh: bool = False, verbose: bool = False) -> int:
    """Run the stack until Ctrl-C/SIGTERM/SIGHUP (returns 0) or until it breaks (returns 1).

    It continues from the data the last run saved (``STATE_DIR``); ``fresh`` starts empty and
    sets that data aside. The terminal shows one line per request; ``verbose`` adds the app's
    own output, which always goes to ``LOG_DIR`` (devstack.logs)."""
    terminal = logs.setup(LOG_DIR, verbose)
    env_port = os.environ.get("PORT")
    if env_port:
        port = int(env_port)
    stack = Stack(
        port=DEFAULT_PORT if port is None else port,
        host=host,
        state_dir=STATE_DIR,
        fresh=fresh,
        snapshot_seconds=_snapshot_seconds(),
    )
    rc = 0
    with _StopSignals() as stop:
        try:
            try:
                stop.starting = True  # only now may a signal interrupt (see _StopSignals)
                stack.start()
            finally:
                stop.starting = False
            if not stop.requested.is_set():
                print(_banner(stack, LOG_DIR, verbose), file=terminal, flush=True)
            while not stop.requested.is_set():
                if stack.fatal.wait(0.2):
                    log.error("the local stack broke: %s", "; ".join(stack.problems()))
                    rc = 1
                    break
        except _Shutdown:
            pass  # a stop signal during start-up
        except StackError as e:
            log.error("%s", e)
            rc = 1
        except Exception:  # report why start failed, then clean up
            log.exception("the local stack failed")
            rc = 1
        finally:
            stop.requested.set()  # from here on every signal finds the stop under way
            if stop.received:
                log.info("shutting down (%s)", ", ".join(stop.received))
            stack.stop()
    return rc


__all__ = ["Stack", "StackError", "Runner", "MotoServer", "run", "local_env", "free_port", "DEFAULT_PORT", "READY_FILE"]
