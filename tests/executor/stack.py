"""Throwaway PostgreSQL and Redis servers for the scale-out test (shared/notes recipe)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postgres:
    """A cluster in ``root`` owned by the postgres user, trust auth, no fsync."""

    def __init__(self) -> None:
        # Its own folder under /tmp: pytest's are private to root, and the
        # server runs as the postgres user.
        root = Path(tempfile.mkdtemp(prefix="escalator-pg-"))
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        shutil.chown(root, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres")
        self._as_postgres(
            PG_BIN / "pg_ctl", "-D", self.data, "-l", root / "pg.log", "-w", "-o",
            f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        self._as_postgres(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port),
                          "-U", "postgres", "escalator")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/escalator"

    def _as_postgres(self, *argv) -> None:
        done = subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)],
                              capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr or done.stdout}")

    def stop(self) -> None:
        try:
            self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class Redis:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.log = (root / "redis.log").open("w")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, 9)
            self.process.wait()
        self.log.close()
