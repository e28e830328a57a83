"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("assistant", "0002_ask_log_asker")]

    operations = [
        *migration_operations("assistant_asklog", "created_at"),
    ]
