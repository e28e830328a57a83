"""A wallet per (person, street): a street funds its own subsidies and its staff see only what it holds.

An existing wallet is given the street of its latest ledger entry that names one (the street whose counter or
kitchen last used it), else the person's home street, else the first street; an empty wallet nobody used is
dropped. Its entries stay as they are (the ledger is append-only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def assign_streets(apps, schema_editor):
    Wallet = apps.get_model("meals", "Wallet")
    WalletEntry = apps.get_model("meals", "WalletEntry")
    Street = apps.get_model("core", "Street")
    first = Street.objects.order_by("pk").values_list("pk", flat=True).first()
    for wallet in Wallet.objects.filter(street__isnull=True).select_related("user"):
        street_id = (
            WalletEntry.objects.filter(wallet=wallet, street__isnull=False)
            .order_by("-at", "-id")
            .values_list("street_id", flat=True)
            .first()
        ) or wallet.user.home_street_id or first
        if street_id is None or (wallet.balance_fen == 0 and not WalletEntry.objects.filter(wallet=wallet).exists()):
            wallet.delete()
            continue
        wallet.street_id = street_id
        wallet.save(update_fields=["street"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_holidays"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("meals", "0002_kitchen_slots"),
    ]

    operations = [
        migrations.AddField(
            model_name="wallet",
            name="street",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.street"
            ),
        ),
        migrations.AlterField(
            model_name="wallet",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="wallets", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.RunPython(assign_streets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="wallet",
            name="street",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.street"),
        ),
        migrations.AddConstraint(
            model_name="wallet",
            constraint=models.UniqueConstraint(fields=("user", "street"), name="wallet_one_per_street"),
        ),
    ]
