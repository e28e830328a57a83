"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("affairs", "0003_recording_retention")]

    operations = [
        *migration_operations("affairs_appointmentevent", "at"),
        *migration_operations("affairs_prereviewevent", "at"),
        *migration_operations("affairs_queueticketevent", "at"),
        *migration_operations("affairs_remotesessionevent", "at"),
    ]
