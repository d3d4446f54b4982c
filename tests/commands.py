"""Running segcli as a user does: a separate process, its output captured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def segcli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`segcli ARGS` run in `cwd` (the repository by default); a failing exit code is the
    caller's to check, never an exception."""
    return subprocess.run(
        [sys.executable, "-m", "segcli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
