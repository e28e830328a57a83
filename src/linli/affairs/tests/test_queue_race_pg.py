"""The window queue under real concurrency on PostgreSQL (SQLite serialises writers): kiosks printing numbers at
once never print the same one, windows calling at once never call the same ticket. `make test-pg` runs these."""

from __future__ import annotations

import pytest

from linli.affairs.models import Counter, QueueTicket, TicketStatus
from linli.affairs.services import queue
from linli.affairs.tests.factories_queue import build_queue_world
from linli.core.models import Role
from linli.core.testing import race, require_postgres
from linli.core.tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _need_postgres():
    require_postgres("queue race test")


def test_thirty_kiosks_at_once_get_thirty_consecutive_numbers():
    world = build_queue_world()
    numbers = race(30, lambda i: queue.ticket_walk_in(place=world.centre).number)
    assert sorted(numbers) == [f"W{n:03d}" for n in range(1, 31)], numbers


def test_twelve_windows_calling_at_once_never_share_a_ticket():
    world = build_queue_world()
    for _ in range(8):
        queue.ticket_walk_in(place=world.centre)
    clerks = []
    counters = []
    for n in range(12):
        clerk = UserFactory()
        RoleAssignmentFactory(user=clerk, street=world.street, role=Role.STATION_STAFF)
        clerks.append(clerk)
        counters.append(Counter.objects.create(street=world.street, place=world.centre, number=10 + n))

    def call(i: int) -> str:
        ticket = queue.ticket_call_next(counter=counters[i], clerk=clerks[i])
        return ticket.number if ticket else "none"

    called = race(12, call)
    numbers = [n for n in called if n != "none"]
    assert len(numbers) == len(set(numbers)) == 8, called
    assert called.count("none") == 4
    assert QueueTicket.objects.filter(status=TicketStatus.CALLED).count() == 8
    assert QueueTicket.objects.filter(status=TicketStatus.CALLED).values("counter").distinct().count() == 8
