"""Two staff writing the answer to the same question at the same moment (PostgreSQL, real threads): both saves
succeed and exactly one answer stays active, the one residents then get."""

from __future__ import annotations

import pytest

from linli.assistant.models import CuratedAnswer
from linli.assistant.services.ask import answer_question
from linli.assistant.services.review import curated_answer_save
from linli.core.testing import race, require_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_curated_answers_leave_one_active(live_world_pg):
    require_postgres("curated-answer races")
    world = live_world_pg
    staff = [world.admin, world.station_staff] * 3

    def save(i: int) -> int:
        return curated_answer_save(street=world.street, question="老年饭桌在哪里", answer=f"回答{i}", actor=staff[i]).pk

    outcomes = race(len(staff), save)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    active = list(CuratedAnswer.objects.filter(street=world.street, is_active=True))
    assert len(active) == 1
    assert CuratedAnswer.objects.count() == len(staff)
    assert answer_question(question="老年饭桌在哪里", street=world.street).answer == active[0].answer


@pytest.fixture
def live_world_pg(transactional_db: None):
    from linli.assistant.tests.factories import build_world

    return build_world()
