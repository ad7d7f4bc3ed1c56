"""Create an API token for a user and print it once: only its hash is stored."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = ("Create an API token for a user (Authorization: Token <key>). The key is "
            "printed once and stored hashed: keep it, it cannot be shown again.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=0,
                            help="Days until the token expires (default: the API_TOKEN_TTL_DAYS "
                                 "setting; 0 there means never).")
        parser.add_argument("--revoke-all", action="store_true",
                            help="Delete the user's other tokens first.")

    def handle(self, *args, username: str, days: int, revoke_all: bool, **options):
        from django.conf import settings

        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user named {username!r}") from exc
        if days < 0:
            raise CommandError("--days: must be 0 or more")
        if revoke_all:
            AuthToken.objects.filter(user=user).delete()
        days = days or settings.API_TOKEN_TTL_DAYS
        _, key = AuthToken.objects.create(user, expiry=timedelta(days=days) if days else None)
        self.stdout.write(key)
