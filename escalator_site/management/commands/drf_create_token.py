"""The name DRF's command had, kept for scripts: prints a new hashed-stored token."""

from __future__ import annotations

from escalator_site.management.commands.api_token import Command as ApiToken


class Command(ApiToken):
    help = "Same as api_token (kept for scripts written for DRF's command)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("-r", "--reset", action="store_true", dest="reset",
                            help="Delete the user's other tokens first (as --revoke-all).")

    def handle(self, *args, reset: bool = False, revoke_all: bool = False, **options):
        super().handle(*args, revoke_all=revoke_all or reset, **options)
