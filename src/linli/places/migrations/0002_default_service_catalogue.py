"""Seed the default service catalogue (street = NULL) shared by every street."""

from django.db import migrations

# code, name_zh, name_en, category
DEFAULT_SERVICES = [
    ("meal", "助餐", "Meals", "daily_life"),
    ("elder_care", "养老顾问", "Elder-care advice", "care"),
    ("affairs", "事务受理", "Community affairs", "affairs"),
    ("employment", "就业服务", "Employment services", "affairs"),
    ("medical", "助医", "Medical help", "care"),
    ("legal_aid", "法律援助", "Legal aid", "affairs"),
    ("counselling", "心理咨询", "Counselling", "care"),
    ("party_affairs", "党务", "Party affairs", "party"),
    ("volunteering", "志愿服务", "Volunteering", "party"),
    ("reading", "阅读", "Reading", "culture"),
    ("culture", "文化活动", "Cultural activities", "culture"),
    ("rider_rest", "骑手休息", "Rest for riders", "rider"),
    ("drinking_water", "饮水", "Drinking water", "convenience"),
    ("phone_charging", "手机充电", "Phone charging", "convenience"),
    ("toilet", "如厕", "Toilet", "convenience"),
]


def seed(apps, schema_editor):
    Service = apps.get_model("places", "Service")
    for order, (code, name_zh, name_en, category) in enumerate(DEFAULT_SERVICES, start=1):
        Service.objects.update_or_create(
            street=None,
            code=code,
            defaults={"name_zh": name_zh, "name_en": name_en, "category": category, "sort_order": order * 10},
        )


def unseed(apps, schema_editor):
    Service = apps.get_model("places", "Service")
    Service.objects.filter(street=None, code__in=[s[0] for s in DEFAULT_SERVICES]).delete()


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
