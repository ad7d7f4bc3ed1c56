"""API tokens are kept hashed (django-rest-knox): move DRF's clear-text tokens over.

Each old token keeps working (its digest is stored instead), and the clear
text is removed from the old table, which was readable by anyone with the
database file or the Django admin.
"""

from django.db import migrations


def hash_old_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
        for key, user_id in rows:
            AuthToken(digest=hash_token(key), token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH],
                      user_id=user_id, expiry=None).save()
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("knox", "0009_extend_authtoken_field")]
    operations = [migrations.RunPython(hash_old_tokens, migrations.RunPython.noop)]
