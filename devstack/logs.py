"""Where the local stack's output goes: one line per request on the terminal, everything in a file.

Every request used to print three lines (the app's JSON log line, its metrics blob and the
HTTP server's access line), so the ready banner with the token command scrolled away at once.
Now, by default:

* the terminal gets the start-up lines, the banner, one access line per request
  (``12:03:04  POST /campaigns 201 18 ms``) and what the stack itself reports (a runner
  retrying a batch, a record sent to its on-failure queue, the state saved);
* ``var/log/stack.log`` gets all of that and everything the app writes to standard output
  (Powertools' JSON log lines, the metrics blobs, tracebacks), as it writes it; it is rotated
  at ``MAX_BYTES``, keeping ``BACKUPS`` old files, so it never grows without bound.

``make run VERBOSE=1`` (``--verbose``) also shows the app's output on the terminal, as before.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from typing import TextIO

LOG_FILE = "stack.log"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 3

#: One line per HTTP request (devstack.gateway).
ACCESS_LOGGER = "devstack.access"
#: What the app writes to standard output, line by line.
OUTPUT_LOGGER = "devstack.output"
#: The app's Powertools logger (its service name), which writes its JSON lines to stdout itself.
APP_LOGGER = "huixiang"

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_log_file: Path | None = None


def log_file() -> Path | None:
    """The file the stack logs to, once ``setup()`` has run (None in tests that serve directly)."""
    return _log_file


class _FileFormatter(logging.Formatter):
    """The app's output as it wrote it; everything else with time, level and logger."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == OUTPUT_LOGGER:
            return record.getMessage()
        return super().format(record)


class _StackOnly(logging.Filter):
    """On a quiet terminal: the stack's own records and any warning, not the app's chatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == OUTPUT_LOGGER or record.name == ACCESS_LOGGER:
            return False
        return record.name.startswith("devstack") or record.levelno >= logging.WARNING


class LineWriter(io.TextIOBase):
    """A text stream (for ``sys.stdout``) that hands each complete line to a logger. Threads
    write at once (the API's, the runners'), and ``print`` writes a line's text and its newline
    in two calls, so each thread's partial line is kept apart until it ends."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger
        self._local = threading.local()

    encoding = "utf-8"  # what a library that looks at sys.stdout.encoding expects to find

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        pending: str = getattr(self._local, "pending", "") + text
        *lines, rest = pending.split("\n")
        self._local.pending = rest
        for line in lines:
            self._logger.info("%s", line)
        return len(text)

    def flush(self) -> None:
        pending: str = getattr(self._local, "pending", "")
        if pending:
            self._local.pending = ""
            self._logger.info("%s", pending)


def setup(log_dir: Path, verbose: bool = False) -> TextIO:
    """Route the stack's output as the module says; returns the terminal stream (the real
    stdout) for the banner. Call once, before the app is imported: Powertools' logger holds
    on to the ``sys.stdout`` it finds when it is created."""
    global _log_file
    terminal = sys.stdout
    if isinstance(terminal, io.TextIOWrapper):
        terminal.reconfigure(line_buffering=True)  # each line at once, even into a pipe or file
    log_dir.mkdir(parents=True, exist_ok=True)
    to_file = logging.handlers.RotatingFileHandler(
        log_dir / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    to_file.setFormatter(_FileFormatter(_FORMAT))
    to_terminal = logging.StreamHandler(sys.stderr)
    to_terminal.setFormatter(logging.Formatter(_FORMAT))
    if not verbose:
        to_terminal.addFilter(_StackOnly())

    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(to_file)
    root.addHandler(to_terminal)
    for noisy in ("botocore", "boto3", "urllib3"):  # "Found credentials ..." once per client
        logging.getLogger(noisy).setLevel(logging.WARNING)

    access = logging.getLogger(ACCESS_LOGGER)
    access.propagate = False
    access.addHandler(to_file)
    access_terminal = logging.StreamHandler(terminal)
    access_terminal.setFormatter(logging.Formatter("%(asctime)s  %(message)s", "%H:%M:%S"))
    access.addHandler(access_terminal)

    output = logging.getLogger(OUTPUT_LOGGER)
    output.propagate = False
    output.addHandler(to_file)
    if verbose:
        raw = logging.StreamHandler(terminal)
        raw.setFormatter(logging.Formatter("%(message)s"))
        output.addHandler(raw)
    # Powertools' records reach the file as the JSON lines it prints; not a second time as text.
    logging.getLogger(APP_LOGGER).propagate = False
    sys.stdout = LineWriter(output)
    _log_file = log_dir / LOG_FILE
    return terminal


__all__ = ["ACCESS_LOGGER", "BACKUPS", "LOG_FILE", "LineWriter", "MAX_BYTES", "OUTPUT_LOGGER", "log_file", "setup"]
