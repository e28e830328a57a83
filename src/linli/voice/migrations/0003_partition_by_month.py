"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("voice", "0002_tallies")]

    operations = [
        *migration_operations("voice_consultationevent", "at"),
    ]
