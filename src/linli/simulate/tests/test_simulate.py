"""The synthetic city at a tiny scale: deterministic from its seed, at the volumes it promises, marked synthetic,
and every domain's own invariants hold (counters = rows, wallets = ledgers, foreign keys)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models, transaction
from django.db.models import Count, Q, Sum

from linli.access.models import Tap
from linli.activities.models import Activity, Booking
from linli.affairs.models import Appointment, Slot
from linli.assistant.models import AskLog
from linli.cases.models import Case, Report
from linli.core.errors import Problem
from linli.core.models import Street
from linli.jobs.models import Application, Job
from linli.meals.models import MenuItem, Order, OrderLine, Wallet, WalletEntry
from linli.simulate import STREET_CODE_PREFIX, SYNTHETIC_PREFIX, Volumes
from linli.simulate.generate import simulate_city
from linli.voice.models import Answer, Need, Response, Survey, Tally
from linli.voice.services.tallies import tallies_rebuild
from linli.volunteers.models import Account, Entry, Shift, Signup, Transfer

SCALE = 0.0005
DAYS = 3
END = dt.date(2026, 12, 8)
DIGESTED = [Street, Order, OrderLine, WalletEntry, Booking, Activity, Case, Report, Tap, AskLog, Appointment, Slot,
            Job, Application, Response, Answer, Need, Signup, Entry]  # fmt: skip


def digest(model: type[models.Model]) -> str:
    """Every row's columns but the keys the database numbers (ids and foreign keys), sorted, hashed. A street's
    `created_at` is the moment `street_create` ran, so it is left out too."""
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and not f.is_relation and not (model is Street and f.attname == "created_at")
    ]
    qs = model.objects.filter(code__startswith=STREET_CODE_PREFIX) if model is Street else model.objects.all()
    rows = sorted(repr(r) for r in qs.values_list(*names))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def city_digest(seed: int) -> dict[str, str]:
    with transaction.atomic():
        simulate_city(scale=SCALE, days=DAYS, seed=seed, end=END)
        out = {m.__name__: digest(m) for m in DIGESTED}
        transaction.set_rollback(True)
    return out


@pytest.mark.django_db(transaction=False)
def test_same_seed_same_rows_other_seed_other_rows():
    first, again, other = city_digest(7), city_digest(7), city_digest(8)
    assert first == again
    assert {k for k in first if first[k] != other[k]} >= {
        "Order",
        "Tap",
        "Report",
        "AskLog",
        "Booking",
        "Application",
        "Need",
        "Signup",
    }


@pytest.fixture
def city(db) -> dict:  # noqa: ANN001
    return simulate_city(scale=SCALE, days=DAYS, seed=11, end=END)


def per_day(qs, field: str) -> Counter:  # noqa: ANN001
    return Counter(v.date() if isinstance(v, dt.datetime) else v for v in qs.values_list(field, flat=True))


def test_volumes_are_the_city_fraction_with_peaks(city):
    v = Volumes.at(SCALE)
    streets = Street.objects.filter(code__startswith=STREET_CODE_PREFIX)
    assert streets.count() == v.streets == 1
    assert all(s.name.startswith(SYNTHETIC_PREFIX) and s.is_sample for s in streets)
    days = [END - dt.timedelta(days=i) for i in range(1, DAYS + 1)]
    orders = Counter(Order.objects.values_list("date", flat=True))
    for day in days:
        assert 0.7 * v.meals_per_day <= orders[day] <= 1.3 * v.meals_per_day, (day, orders[day])
    assert Order.objects.filter(date__gte=END).count() == 0  # no order in the future
    assert Tap.objects.count() == v.taps_per_day * DAYS
    assert Report.objects.count() == v.reports_per_day * DAYS
    assert AskLog.objects.count() == v.questions_per_day * DAYS
    # Riders' taps peak at lunch and dinner; meal orders come in before the 09:30 cut-off.
    hours = Counter(
        t.astimezone(dt.timezone(dt.timedelta(hours=8))).hour for t in Tap.objects.values_list("at", flat=True)
    )
    assert hours[12] > 2 * hours[4] and hours[18] > 2 * hours[15]
    lunch = Order.objects.filter(slot="lunch")
    late = [
        o
        for o in lunch.values_list("created_at", "date")
        if o[0].astimezone(dt.timezone(dt.timedelta(hours=8))).date() == o[1]
        and o[0].astimezone(dt.timezone(dt.timedelta(hours=8))).time() > dt.time(9, 30)
    ]
    assert late == []
    # Jobs, voice and volunteers: postings, needs and shifts every day; applications, survey answers, sign-ups.
    assert Job.objects.count() == v.job_posts_per_day * DAYS
    assert Need.objects.count() == v.needs_per_day * DAYS
    assert Shift.objects.filter(start__date__lt=END).count() == v.shifts_per_day * DAYS
    assert Shift.objects.filter(start__date__gt=END).exists()  # next week's shifts to sign up for
    assert 0.5 * v.applications_per_day * DAYS <= Application.objects.count() <= v.applications_per_day * DAYS
    assert 0.3 * v.signups_per_day * DAYS <= Signup.objects.filter(shift__start__date__lt=END).count()
    assert Survey.objects.count() >= 1 and Response.objects.count() >= 1
    assert (
        Signup.objects.filter(status="verified").exists() and Application.objects.exclude(status="suggested").exists()
    )
    # This month's activities ahead exist, and next week's menus.
    assert Activity.objects.filter(start__date__gt=END).exists()
    assert MenuItem.objects.filter(menu__date__gt=END).exists()


def test_every_domain_invariant_holds(city):
    connection.check_constraints()  # every foreign key points at a row
    # Activities: booked = seat-holding bookings, never over capacity.
    for a in Activity.objects.annotate(
        seats=Count("bookings", filter=Q(bookings__status__in=["confirmed", "checked_in", "no_show"]))
    ):
        assert a.booked == a.seats and (a.capacity is None or a.booked <= a.capacity)
    # Meals: sold = portions in orders not cancelled; totals add up; wallets = ledgers, running balance >= 0.
    live = OrderLine.objects.exclude(order__status__in=["cancelled", "refunded"])
    portions = dict(live.values_list("menu_item").annotate(n=Sum("quantity")))
    for item in MenuItem.objects.all():
        assert item.sold == portions.get(item.pk, 0)
    assert not Order.objects.exclude(total_fen=models.F("list_fen") - models.F("discount_fen")).exists()
    for wallet in Wallet.objects.all():
        running = 0
        for e in WalletEntry.objects.filter(wallet=wallet).order_by("at", "id"):
            running += e.amount_fen
            assert e.balance_after_fen == running >= 0
        assert wallet.balance_fen == running
    charged = dict(WalletEntry.objects.filter(kind="charge").values_list("order_id", "amount_fen"))
    for order_id, total in Order.objects.values_list("id", "total_fen"):
        assert charged[order_id] == -total
    # Cases: reports_count = the reports of the case.
    for c in Case.objects.annotate(n=Count("reports")):
        assert c.reports_count == c.n >= 1
    # Voice: every survey's counters are what a recount from its responses gives.
    for survey in Survey.objects.all():
        kept = sorted(Tally.objects.filter(survey=survey).values_list("question_id", "committee_id", "channel",
                                                                      "bucket", "n", "total", "lo", "hi"))  # fmt: skip
        tallies_rebuild(survey)
        assert kept == sorted(Tally.objects.filter(survey=survey).values_list(
            "question_id", "committee_id", "channel", "bucket", "n", "total", "lo", "hi"))  # fmt: skip
    assert Tally.objects.filter(question_id=0).aggregate(n=Sum("n"))["n"] == Response.objects.count()
    assert Answer.objects.exists()
    # Volunteers: every account's balance = its entries; every transfer sums to zero; a shift's taken = its live
    # sign-ups, within its places; one verified credit per sign-up.
    sums = dict(Entry.objects.values_list("account").annotate(m=Sum("minutes")))
    for account in Account.objects.all():
        assert account.balance == sums.get(account.pk, 0)
        assert account.kind == "station" or account.balance >= 0
    assert not Transfer.objects.annotate(m=Sum("entries__minutes")).exclude(m=0).exists()
    live = ["signed_up", "checked_in", "checked_out", "verified"]
    for shift in Shift.objects.annotate(n=Count("signups", filter=Q(signups__status__in=live))):
        assert shift.taken == shift.n <= shift.places
    assert Transfer.objects.count() == Signup.objects.filter(status="verified").count()
    # Jobs: a person placed in at most one job; a refused application says when.
    assert not Application.objects.filter(status="hired").values("seeker").annotate(n=Count("id")).filter(n__gt=1)
    assert not Application.objects.filter(status="refused", refused_at=None).exists()
    # Affairs: a slot's booked = its appointments not cancelled, within its places.
    for s in Slot.objects.annotate(n=Count("appointments", filter=~Q(appointments__status="cancelled"))):
        assert s.booked == s.n <= s.places


def test_refuses_a_second_city_and_sqlite_at_city_size(city):
    with pytest.raises(Problem) as again:
        simulate_city(scale=SCALE, days=1, end=END)
    assert again.value.code == "simulate_city_exists"
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("simulate", "city", "--scale", "0.01", "--days", "365")
