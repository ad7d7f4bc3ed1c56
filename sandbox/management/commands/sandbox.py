from __future__ import annotations

import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Run the sandbox cloud: real Nova and Placement with one fake compute per inventory "
        "host, serving the compute API on 127.0.0.1 and writing a clouds.yaml entry "
        "'sandbox'. Prints a line starting with READY when it serves; stops on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("--inventory", help="inventory file (default: a small built-in cloud)")
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
        parser.add_argument("--clouds-yaml", default="var/clouds.yaml")
        parser.add_argument("--cloud-name", default="sandbox")
        parser.add_argument("--service-down-time", type=int)
        parser.add_argument("--live-migration-s", type=float)
        parser.add_argument("--instance-sync-s", type=float,
                            help="how often each compute sends the scheduler its instance list")
        parser.add_argument("--cache-dir", help="keep nova's databases here after a build and "
                            "start the same inventory's cloud from them next time")

    def handle(self, *args, **options):
        # The cloud runs in a child process: nova patches things process-wide
        # and must never be imported where Django runs.
        command = [sys.executable, "-m", "sandbox.server",
                   "--port", str(options["port"]),
                   "--clouds-yaml", options["clouds_yaml"],
                   "--cloud-name", options["cloud_name"]]
        for option in ("inventory", "service_down_time", "live_migration_s", "instance_sync_s",
                       "cache_dir"):
            if options[option] is not None:
                command += ["--" + option.replace("_", "-"), str(options[option])]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)

        def relay(signum, frame):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

        previous = {s: signal.signal(s, relay) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            assert child.stdout is not None
            for line in child.stdout:
                self.stdout.write(line.rstrip("\n"))
                self.stdout.flush()
            code = child.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if code not in (0, -signal.SIGTERM):
            raise CommandError(f"the sandbox exited with status {code}")
