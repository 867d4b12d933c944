"""One line for the user on stderr, printed above any running progress bar.

Every stage warns through :func:`say`: a bare ``print`` while a tqdm bar is drawn lands on
the bar's line and is overwritten by its next redraw. Nothing is imported here: tqdm is used
only when something already loaded it (a bar can only be running then).
"""

from __future__ import annotations

import sys


def say(line: str) -> None:
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None and getattr(tqdm, "tqdm", None) is not None:
        tqdm.tqdm.write(line, file=sys.stderr)
        sys.stderr.flush()
    else:
        print(line, file=sys.stderr, flush=True)
