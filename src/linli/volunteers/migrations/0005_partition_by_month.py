"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("volunteers", "0004_signup_confirmations")]

    operations = [
        *migration_operations("volunteers_claimevent", "at"),
        *migration_operations("volunteers_signupevent", "at"),
    ]
