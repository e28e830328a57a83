"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("activities", "0002_activity_tags")]

    operations = [
        *migration_operations("activities_bookingevent", "at"),
    ]
