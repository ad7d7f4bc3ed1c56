"""Daphne's HTTP layer told not to parse form bodies that nothing of ours reads.

Twisted's ``Request`` parses every POSTed multipart body into ``request.args``
before daphne hands the raw body to Django, which parses it again and never
reads those args. Measured: a 50 MB upload that our size limit refuses with 413
still took daphne from 99 MB to 685 MB of memory, and a multipart body Twisted
could not parse got a bare 400 that Django never saw. Twisted's ``Request``
takes ``parsePOSTFormSubmission=False`` for servers that pass bodies on.
"""

from __future__ import annotations


def skip_form_parsing() -> None:
    """Make daphne build its requests with Twisted's form parsing off (idempotent)."""
    try:
        from daphne import http_protocol
    except ImportError:  # not served by daphne (tests, other ASGI servers)
        return
    base = http_protocol.WebRequest
    if getattr(base, "_escalator_no_form_parsing", False):
        return

    class WebRequest(base):  # type: ignore[misc, valid-type]
        _escalator_no_form_parsing = True

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("parsePOSTFormSubmission", False)
            super().__init__(*args, **kwargs)

    # daphne's HTTPFactory.buildProtocol looks the class up here for each connection.
    http_protocol.WebRequest = WebRequest
