"""Environment for the test run, set before Django's settings are read (loaded with -p)."""

import os

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run inside one unless told it is safe (shared/notes).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Creating users with the real password hasher costs a second each; the servers
# the tests start inherit this, so they check the same hashes.
os.environ.setdefault("ESCALATOR_FAST_PASSWORD_HASHING", "1")
