"""The Cubes 1.1 "Slicer" HTTP API (``docs/slicer-api.md`` §1), on Flask.

* :mod:`.views`: the blueprint and its endpoints, built around an explicit workspace.
* :mod:`.params`: request parameters; :mod:`.report`: the ``/report`` body.
* :mod:`.responses` and :mod:`.encoding`: JSON, JSON lines and CSV output.
* :mod:`.errors`: the four error shapes of §1.13, chosen by exception class.
"""

from kubus.server.slicer.errors import register_error_handlers
from kubus.server.slicer.views import slicer_blueprint

__all__ = ["register_error_handlers", "slicer_blueprint"]
