from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """The sandbox cloud, as a Django app only for its ``sandbox`` command.

    Nothing Django loads from this app may import nova: the cloud itself runs
    in a child process (``python -m sandbox.server``).
    """

    name = "sandbox"
    verbose_name = "Sandbox cloud"
