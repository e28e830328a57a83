"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("care", "0002_care_policy")]

    operations = [
        *migration_operations("care_alertevent", "at"),
        *migration_operations("care_callevent", "at"),
        *migration_operations("care_followupevent", "at"),
        *migration_operations("care_visitevent", "at"),
    ]
