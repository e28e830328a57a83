"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("core", "0006_roles_employment_building_head")]

    operations = [
        *migration_operations("core_auditlog", "at"),
    ]
