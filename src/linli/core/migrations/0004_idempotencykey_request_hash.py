from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_holidays"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="request_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
