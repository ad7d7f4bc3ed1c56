"""Where openstacksdk finds the clouds: the settings' clouds.yaml."""

from __future__ import annotations

import os

from django.conf import settings


def clouds_yaml() -> str:
    """The clouds.yaml in use (``OS_CLIENT_CONFIG_FILE``, else the settings' ``CLOUDS_YAML``)."""
    path = os.environ.get("OS_CLIENT_CONFIG_FILE") or settings.CLOUDS_YAML
    # openstacksdk reads only the environment variable.
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", path)
    return path
