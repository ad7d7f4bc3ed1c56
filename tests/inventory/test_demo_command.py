"""``manage.py demo_inventory``: writes the generator's cloud to a file the import reads."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from inventory.demo import generate
from inventory.files import load_inventory


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_the_command_writes_the_seeded_cloud(tmp_path, capsys, suffix):
    output = tmp_path / f"demo.{suffix}"
    call_command("demo_inventory", "--hosts", "12", "--seed", "9", "--output", str(output))
    assert load_inventory(output) == generate(12, seed=9)
    assert capsys.readouterr().out.startswith(f"{output}: 12 hosts, 240 servers, ")


def test_the_same_seed_writes_the_same_file(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for path in (first, second):
        call_command("demo_inventory", "--hosts", "6", "--seed", "3", "--output", str(path),
                     "--servers-per-host", "8")
    assert first.read_bytes() == second.read_bytes()
    assert load_inventory(first) == generate(6, seed=3, servers_per_host=8)


def test_a_one_host_cloud_is_refused(tmp_path):
    with pytest.raises(CommandError, match="at least 2 hosts"):
        call_command("demo_inventory", "--hosts", "1", "--output", str(tmp_path / "x.yaml"))
    assert not (tmp_path / "x.yaml").exists()
