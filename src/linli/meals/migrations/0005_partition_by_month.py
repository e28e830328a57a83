"""Monthly partitions on PostgreSQL for the append-only tables (linli.core.partitions); SQLite keeps plain tables."""

from django.db import migrations

from linli.core.partitions import migration_operations


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("meals", "0004_pricing_tier_name_en")]

    operations = [
        *migration_operations("meals_orderevent", "at"),
    ]
