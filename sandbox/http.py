"""The sandbox's loopback HTTP servers: threaded WSGI, no request log.

Both the front (``sandbox.server``) and Placement's process
(``sandbox.placement_service``) serve with these.
"""

from __future__ import annotations

import socketserver
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass
