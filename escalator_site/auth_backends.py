"""Login throttling (django-axes) for every sign-in that comes through a request."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginThrottle(AxesStandaloneBackend):
    """Refuses a locked-out user name before any password is checked.

    A call without a request (a management command, a script in the same
    process) has no client to throttle and no attacker behind it: it goes on
    to the next backend instead of failing as django-axes would.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
