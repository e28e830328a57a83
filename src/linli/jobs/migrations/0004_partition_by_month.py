"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("jobs", "0003_fairs")]

    operations = [
        *migration_operations("jobs_applicationevent", "at"),
    ]
