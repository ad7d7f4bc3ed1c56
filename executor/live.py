"""Execution events reach websockets through the site's progress publisher.

See escalator_site/progress.py for why publishing from a worker thread goes
through the server's event loop in embedded mode.
"""

from __future__ import annotations

from escalator_site.progress import publish, register_loop

__all__ = ["publish", "register_loop"]
