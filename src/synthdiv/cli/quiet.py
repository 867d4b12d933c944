"""What the libraries print is kept off the terminal; what we warn lands above the progress bars.

``synthdiv`` runs its commands inside :func:`quiet_libraries`:

* FutureWarnings raised inside the ML libraries (transformers' ``is_gradient_checkpointing``
  deprecation on every training run, for one) are dropped: they are addressed to the
  library's callers, and a user of ``synthdiv`` can do nothing about them;
* the Hugging Face progress bars (``Loading weights``, ``Writing model shards``) are off,
  through ``HF_HUB_DISABLE_PROGRESS_BARS=1``, which transformers and huggingface_hub read
  when they are imported: set it to 0 to see them (a first download from the hub, say);
* every warning that is still shown goes through ``tqdm.write`` when tqdm is loaded, so it
  is printed above a running bar instead of onto the bar's line; ours read ``warning: …``.

Nothing here imports a library: ``synthdiv --help`` stays fast.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthdiv.console import say  # noqa: F401  (ours and the libraries' warnings share one printer)

LIBRARIES = ("transformers", "peft", "accelerate", "torch", "sentence_transformers", "huggingface_hub", "datasets", "sklearn")
PROGRESS_ENV = "HF_HUB_DISABLE_PROGRESS_BARS"
OURS = str(Path(__file__).resolve().parents[1]) + os.sep  # src/synthdiv/


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` that keeps bars intact: ours as one ``warning:`` line, others as Python formats them."""
    if str(filename).startswith(OURS):
        say(f"warning: {str(message).splitlines()[0]}")
    else:
        say(warnings.formatwarning(message, category, filename, lineno, line).rstrip("\n"))


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """The filters, the bar setting and the warning printer above, undone on exit."""
    added_env = PROGRESS_ENV not in os.environ
    if added_env:
        os.environ[PROGRESS_ENV] = "1"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module=rf"({'|'.join(LIBRARIES)})(\.|$)")
            warnings.showwarning = show_warning
            yield
    finally:
        if added_env:
            os.environ.pop(PROGRESS_ENV, None)
