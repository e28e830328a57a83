"""The family's view of an entry (issue 17 item 1): a family contact signs in with the usual SMS code and sees the
entry, corrects contacts and health notes within the consent, every view and correction audit-logged; anyone else
(another family's member, a neighbour or doctor contact, another street's family) sees nothing."""

from __future__ import annotations

import pytest
from django.test import Client, TestCase

from linli.care.models import Consent, Contact, Correction, Share
from linli.care.services import family, register
from linli.care.tests.factories import build_care_world
from linli.core.errors import Problem
from linli.core.models import AuditLog, User
from linli.core.tests.factories import UserFactory, last_code

pytestmark = pytest.mark.django_db

SON = "+8613900002222"  # 王小明, the family contact build_care_world registers


def _sign_in(client: Client, phone: str) -> User:
    """The project's phone sign-in: a one-time code by SMS, then the code."""
    with TestCase.captureOnCommitCallbacks(execute=True):  # the code's SMS goes after commit
        client.post("/login/", {"action": "send", "phone": phone})
    resp = client.post(
        "/login/", {"action": "verify", "phone": phone, "code": last_code(phone), "next": "/care/family/"}
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    return User.objects.get(phone=phone)


def test_a_family_contact_signs_in_by_sms_and_sees_the_entry_audited():
    w = build_care_world()
    c = Client()
    son = _sign_in(c, SON)
    resp = c.get("/care/family/", follow=True)
    page = resp.content.decode()
    assert resp.redirect_chain[-1][0] == f"/care/family/{w.person.pk}/"
    assert "王老伯" in page and "骨质疏松" in page and "3号楼 502室" in page and "建新居委" in page
    assert "138****1111" in page and "13800001111" not in page and "310101193501011234" not in page
    assert "13700003333" not in page and "137****3333" in page  # other contacts' phones masked
    logs = AuditLog.objects.filter(action="care.family.view", actor=son, object_id=str(w.person.pk))
    assert logs.count() == 1 and logs.get().data["phone"] == "139****2222"
    me = c.get("/care/me-panel/").content.decode()
    assert 'id="care-family-link"' in me and "呼叫居委" not in me  # the son is not registered himself


def test_family_corrects_contacts_and_health_notes_each_audited():
    w = build_care_world()
    c = Client()
    son = _sign_in(c, SON)
    url = f"/care/family/{w.person.pk}/"
    doctor = Contact.objects.get(person=w.person, kind="doctor")
    resp = c.post(
        url,
        {"action": "contacts", f"contact-{doctor.pk}-name": "李医生", f"contact-{doctor.pk}-relation": "社区医院",
         f"contact-{doctor.pk}-phone": "137 0000 4444"},
    )  # fmt: skip
    assert resp.status_code == 302 and resp["Location"].endswith("?done=contacts")
    doctor.refresh_from_db()
    assert doctor.phone == "+8613700004444" and doctor.relation == "社区医院"
    resp = c.post(url, {"action": "notes", "health_notes": "骨质疏松；对青霉素过敏"})
    w.person.refresh_from_db()
    assert w.person.health_notes == "骨质疏松；对青霉素过敏"
    rows = list(AuditLog.objects.filter(action="care.family.correct", actor=son).order_by("id"))
    assert [r.data["changed"] for r in rows] == [[f"contact:{doctor.pk}"], ["health_notes"]]
    assert rows[0].data["phones"] == [["137****3333", "137****4444"]]
    assert "13700004444" not in str(rows[0].data)
    # An empty phone keeps the number held; anything else goes to the committee as a correction request.
    c.post(url, {"action": "contacts", f"contact-{doctor.pk}-name": "李华医生", f"contact-{doctor.pk}-phone": ""})
    doctor.refresh_from_db()
    assert doctor.name == "李华医生" and doctor.phone == "+8613700004444"
    c.post(url, {"action": "correction", "text": "楼号应为4号楼"})
    assert Correction.objects.get(person=w.person).requested_by == son
    bad = c.post(url, {"action": "contacts", f"contact-{doctor.pk}-name": "李医生", f"contact-{doctor.pk}-phone": "12"})
    assert bad.status_code == 422 and 'data-code="invalid_phone"' in bad.content.decode()


def test_staff_see_the_family_correction():
    w = build_care_world()
    c = Client()
    _sign_in(c, SON)
    c.post(f"/care/family/{w.person.pk}/", {"action": "notes", "health_notes": "高血压"})
    staff = Client()
    staff.force_login(w.responders[0])
    assert "高血压" in staff.get(f"/staff/care/people/{w.person.pk}/").content.decode()


def test_another_familys_member_sees_nothing():
    w = build_care_world()
    other = register.person_register(
        actor=w.lead, committee=w.committee, compound=w.compound, building="5号楼 101室", name="赵阿婆",
        groups=["elderly_80"], consent_by="赵阿婆", health_notes="糖尿病",
        contacts=[{"kind": "family", "name": "赵女儿", "phone": "13600005555"}],
    )  # fmt: skip
    c = Client()
    _sign_in(c, SON)
    assert c.get(f"/care/family/{other.pk}/").status_code == 404
    posted = c.post(f"/care/family/{other.pk}/", {"action": "notes", "health_notes": "改掉"})
    assert posted.status_code == 404
    other.refresh_from_db()
    assert other.health_notes == "糖尿病"
    daughter = Client()
    _sign_in(daughter, "+8613600005555")
    page = daughter.get("/care/family/", follow=True).content.decode()
    assert "赵阿婆" in page and "王老伯" not in page and "骨质疏松" not in page
    assert daughter.get(f"/care/family/{w.person.pk}/").status_code == 404
    assert (
        not AuditLog.objects.filter(action="care.family.view", object_id=str(w.person.pk))
        .exclude(actor__phone=SON)
        .exists()
    )


def test_a_doctor_or_a_stranger_is_not_family():
    w = build_care_world()
    doctor = Client()
    _sign_in(doctor, "+8613700003333")  # named as the family doctor, not as family
    assert doctor.get(f"/care/family/{w.person.pk}/").status_code == 404
    assert "no-family-entry" in doctor.get("/care/family/").content.decode()
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/care/family/{w.person.pk}/").status_code == 404
    assert stranger.get("/care/me-panel/").status_code == 200
    anonymous = Client().get(f"/care/family/{w.person.pk}/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert not AuditLog.objects.filter(action="care.family.view").exists()


def test_another_streets_family_sees_only_their_own():
    w = build_care_world()
    w2 = build_care_world("otherjie")
    # The same phone is family of the other street's entry only when that entry names it.
    Contact.objects.filter(person=w2.person, kind="family").update(phone="+8613500006666")
    c = Client()
    _sign_in(c, SON)
    assert family.family_entries(User.objects.get(phone=SON)) == [w.person]
    assert c.get(f"/care/family/{w2.person.pk}/").status_code == 404
    assert "骨质疏松" in c.get(f"/care/family/{w.person.pk}/").content.decode()


def test_consent_without_family_sharing_or_withdrawn_hides_the_entry():
    w = build_care_world()
    c = Client()
    son = _sign_in(c, SON)
    assert c.get(f"/care/family/{w.person.pk}/").status_code == 200
    register.consent_record(
        actor=w.lead, person=w.person, given_by="王老伯", relation="本人", shares=[Share.RESPONDERS, Share.DOCTOR]
    )
    assert c.get(f"/care/family/{w.person.pk}/").status_code == 404
    with pytest.raises(Problem):
        family.family_correct(actor=son, person=w.person, health_notes="x")
    register.consent_record(actor=w.lead, person=w.person, given_by="王老伯", relation="本人", shares=[Share.FAMILY])
    assert c.get(f"/care/family/{w.person.pk}/").status_code == 200
    Consent.objects.filter(person=w.person).update(withdrawn_at=w.person.created_at)
    assert c.get(f"/care/family/{w.person.pk}/").status_code == 404


def test_the_family_page_in_english():
    w = build_care_world()
    c = Client()
    _sign_in(c, SON)
    page = c.get(f"/care/family/{w.person.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "What the committee holds" in page and "Save the correction" in page
