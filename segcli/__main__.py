"""python -m segcli"""

from __future__ import annotations

from segcli.cli import main

main()
