"""The tap's fast path agrees with the step-by-step reads it replaced (docs/architecture.md, "Fast paths").

`fast.tap_context` reads the gate, its compound, the compound's policy and the rider's credential of the gate's
street (with its partner) in one plain statement. `_tap_context_orm` below is the same read through the ORM,
step by step: the reference it is checked against (the services keep no ORM copy, as nothing else needs one).
Generated sequences of changes (a gate switched off and on, a policy written or removed, a credential suspended,
renewed or moved to another partner) interleave with taps of every kind of person at every gate (and at a gate
that does not exist); after each change both reads must give the same instances, field by field. Both paths run
on every backend, so this runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from linli.access.models import AccessPolicy, CredentialStatus, Gate, Partner, RiderCredential
from linli.access.services import fast
from linli.access.tests.factories import build_access_world

pytestmark = pytest.mark.django_db

PEOPLE = ("rider", "rider_mt", "rider_susp", "rider_b", "nobody")
GATES = ("gx", "gy", "missing")

change = st.one_of(
    st.tuples(st.just("gate_active"), st.sampled_from(("gx", "gy")), st.booleans()),
    st.tuples(st.just("policy"), st.sampled_from(("x", "y")), st.booleans(), st.booleans()),
    st.tuples(st.just("policy_delete"), st.sampled_from(("x", "y"))),
    st.tuples(st.just("credential"), st.sampled_from(PEOPLE[:4]), st.sampled_from(CredentialStatus.values)),
    st.tuples(st.just("partner"), st.sampled_from(PEOPLE[:3])),
)
tap = st.tuples(st.just("tap"), st.sampled_from(PEOPLE), st.sampled_from(GATES))


def _tap_context_orm(*, public_id: str, user_id: int) -> fast.TapContext | None:
    gate = Gate.objects.select_related("compound").filter(public_id=public_id, active=True).first()
    if gate is None:
        return None
    policy = AccessPolicy.objects.filter(compound_id=gate.compound_id).first()
    credential = (
        RiderCredential.objects.select_related("partner").filter(street_id=gate.street_id, user_id=user_id).first()
    )
    return fast.TapContext(gate=gate, policy=policy, credential=credential)


def _values(obj: Any, names: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    if obj is None:
        return None
    fields = [f for f in type(obj)._meta.concrete_fields if names is None or f.name in names]
    return {f.attname: (v.name if isinstance(v := getattr(obj, f.attname), FieldFile) else v) for f in fields}


def _dump(context: fast.TapContext | None) -> Any:
    if context is None:
        return None
    credential = context.credential
    return (
        _values(context.gate),
        _values(context.gate.compound, fast.COMPOUND_FIELDS),
        _values(context.policy),
        _values(credential),
        _values(credential.partner, fast.PARTNER_FIELDS) if credential is not None else None,
    )


@pytest.fixture
def world():
    return build_access_world("fasttap")


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(change, tap, tap), min_size=1, max_size=12))
def test_tap_context_fast_and_orm_agree(world, steps):
    gates = {"gx": world.gx, "gy": world.gy}
    compounds = {"x": world.x, "y": world.y}
    for item in steps:
        kind = item[0]
        if kind == "gate_active":
            Gate.objects.filter(pk=gates[item[1]].pk).update(active=item[2])
        elif kind == "policy":
            AccessPolicy.objects.update_or_create(
                compound=compounds[item[1]], defaults={"riders_allowed": item[2], "other_streets": item[3]}
            )
        elif kind == "policy_delete":
            AccessPolicy.objects.filter(compound=compounds[item[1]]).delete()
        elif kind == "credential":
            RiderCredential.objects.filter(user=world.people[item[1]]).update(
                status=item[2], expires_at=timezone.now() + timedelta(days=30)
            )
        elif kind == "partner":
            credential = RiderCredential.objects.get(user=world.people[item[1]], street=world.street)
            other = Partner.objects.filter(street=world.street).exclude(pk=credential.partner_id).first()
            if other is not None:
                RiderCredential.objects.filter(pk=credential.pk).update(partner=other)
        else:
            public_id = gates[item[2]].public_id if item[2] in gates else "G000000000000"
            user_id = world.people[item[1]].pk
            assert _dump(fast.tap_context(public_id=public_id, user_id=user_id)) == _dump(
                _tap_context_orm(public_id=public_id, user_id=user_id)
            ), item
