"""Real `segcli run`s killed with SIGKILL at chosen moments, for test_passes_resume.py.

    python tests/fault_run.py

Imports the CLI (and Polars, running no query) once and prints "ready"; then for each line
`<seconds> <segcli arguments...>` (tab-separated) on stdin, forks a child that runs
`segcli <arguments>` in-process, kills it with SIGKILL after `<seconds>` unless it ended first,
and prints "killed" or "exit <code>". Forking from a process that has imported everything
makes each run start at once, so the kills land in the run, not in Python's start-up; the child
is this process's own, unreaped until it is killed, so no other process can take its id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from segcli import cli
from segcli.backends.polars import engine  # noqa: F401  (imported once, before the forks)


def run_child(arguments: list[str]) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    code = 0
    try:
        cli.app(arguments, standalone_mode=False)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 70
    except BaseException:  # noqa: BLE001 - the child reports, never returns to the loop
        code = 70
    os._exit(code)


def run_once(seconds: float, arguments: list[str]) -> str:
    child = os.fork()
    if child == 0:
        run_child(arguments)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            return f"exit {os.waitstatus_to_exitcode(status)}"
        time.sleep(0.005)
    os.kill(child, signal.SIGKILL)
    _pid, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    return "killed" if code == -signal.SIGKILL else f"exit {code}"


if __name__ == "__main__":
    cli.tune_allocator()
    print("ready", flush=True)
    for line in sys.stdin:
        seconds, *arguments = line.rstrip("\n").split("\t")
        with contextlib.suppress(BrokenPipeError):
            print(run_once(float(seconds), arguments), flush=True)
