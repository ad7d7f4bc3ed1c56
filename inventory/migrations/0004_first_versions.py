"""Every cloud stored before versions existed gets its first version, from today's rows."""

from django.db import migrations


def first_versions(apps, schema_editor):
    from types import SimpleNamespace

    from inventory.files import dump_inventory
    from inventory.services import load_snapshot

    names = ("Cloud", "Host", "HostComponent", "Server", "ServerGroup", "Vnf", "VnfMember")
    models = SimpleNamespace(**{n: apps.get_model("inventory", n) for n in names})
    Version = apps.get_model("inventory", "InventoryVersion")
    for cloud in models.Cloud.objects.all():
        if Version.objects.filter(cloud=cloud).exists():
            continue
        snapshot = load_snapshot(cloud, models=models)
        Version.objects.create(
            cloud=cloud, number=1, kind="migration", source="the stored inventory",
            fingerprint=snapshot.fingerprint(), document=dump_inventory(snapshot),
            counts={"hosts": len(snapshot.hosts), "servers": len(snapshot.servers),
                    "server_groups": len(snapshot.server_groups), "vnfs": len(snapshot.vnfs)},
            changes={},
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_inventory_versions")]

    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
