from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

# Later roles (planner, approver, viewer) are added here as their groups appear.
DEMO_USERS = [("admin", {"is_staff": True, "is_superuser": True})]


class Command(BaseCommand):
    help = "Create the demo users (once) and print their names and passwords."

    def handle(self, *args, **options):
        store = settings.VAR_DIR / "demo-users.txt"
        known = {}
        if store.exists():
            known = dict(line.split(":", 1) for line in store.read_text().split() if ":" in line)
        User = get_user_model()
        lines = []
        for name, flags in DEMO_USERS:
            password = known.get(name) or secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=name, defaults=flags)
            for key, value in flags.items():
                setattr(user, key, value)
            user.set_password(password)
            user.save()
            known[name] = password
            lines.append(f"{name}:{password}")
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text("\n".join(lines) + "\n")
        store.chmod(0o600)
        self.stdout.write("Demo users (also in var/demo-users.txt):")
        for line in lines:
            name, password = line.split(":", 1)
            self.stdout.write(f"  user {name:<10} password {password}")
