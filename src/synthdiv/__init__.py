"""synthdiv: study and control the diversity of LLM-generated training data.

The Python API mirrors the CLI; each stage lives in its own subpackage
(``synthdiv.data``, ``synthdiv.metrics``, ``synthdiv.backends``,
``synthdiv.generation``, ``synthdiv.mixing``, ``synthdiv.training``,
``synthdiv.evaluation``, ``synthdiv.experiments``, ``synthdiv.reports``).
"""

from synthdiv.errors import UserError
from synthdiv.records import Provenance, Record

__version__ = "0.1.0"
__all__ = ["Provenance", "Record", "UserError", "__version__"]
