from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from escalator_site.env import private_file

# name, flags, role groups (the groups come from planner's migration).
DEMO_USERS = [
    ("admin", {"is_staff": True, "is_superuser": True}, ["admin"]),
    ("planner", {}, ["planner"]),
    ("planner2", {}, ["planner"]),
    ("approver", {}, ["approver"]),
    ("viewer", {}, ["viewer"]),
]


class Command(BaseCommand):
    help = "Create the demo users (once) and print their names and passwords."

    def handle(self, *args, **options):
        store = settings.VAR_DIR / "demo-users.txt"
        known = {}
        if store.exists():
            known = dict(line.split(":", 1) for line in store.read_text().split() if ":" in line)
        User = get_user_model()
        lines = []
        for name, flags, groups in DEMO_USERS:
            password = known.get(name) or secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=name, defaults=flags)
            for key, value in flags.items():
                setattr(user, key, value)
            user.set_password(password)
            user.save()
            user.groups.set(Group.objects.filter(name__in=groups))
            known[name] = password
            lines.append(f"{name}:{password}")
        store.parent.mkdir(parents=True, exist_ok=True)
        private_file(store)  # passwords: 0600 before anything is written
        store.write_text("\n".join(lines) + "\n")
        self.stdout.write("Demo users (also in var/demo-users.txt):")
        for line in lines:
            name, password = line.split(":", 1)
            role = next(groups for n, _, groups in DEMO_USERS if n == name)[0]
            self.stdout.write(f"  {role:<9} user {name:<10} password {password}")
