"""The tour (`make tour`, `linli/tour.py`): every page of every role, in Chinese and English, in a real browser.

The sample street (`linli demo`) is loaded once; the elderly sample resident gets a booking, a lunch order and a
question to the assistant so that every resident page has something on it. Each stop is opened in a fresh tab;
what it finds on every page is gathered and reported together, stop by stop, at the end. Screenshots go to
var/tour/ (LINLI_TOUR_DIR), named <role>-<language>-<stop>.png.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from linli import tour

AXE_JS = Path(__file__).resolve().parents[1] / "test_vendor" / "axe-core" / "axe.min.js"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")  # Chinese characters (punctuation is not a language)
PHONE = {"width": 390, "height": 844}
SCREEN = {"width": 1366, "height": 900}


# ------------------------------------------------------------------------------- the list is complete


def url_names(patterns: list[Any] | None = None, namespace: str = "") -> Iterator[str]:
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_names(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace + p.name


def test_every_url_pattern_is_on_the_tour() -> None:
    """A new page joins the tour (or EXCLUDED, with a reason) when its URL pattern is added."""
    on_tour = {stop.name for stop in tour.STOPS}
    missing = sorted(n for n in set(url_names()) if n not in on_tour and tour.excluded_reason(n) is None)
    assert not missing, f"URL patterns neither on the tour nor excluded (linli/tour.py): {missing}"


def test_every_stop_names_the_pattern_its_path_opens() -> None:
    """Stale entries fail too: each stop's path (ids filled with 1) resolves to the pattern the stop names."""
    filler = dict.fromkeys(
        (
            "place",
            "venue",
            "activity",
            "booking",
            "order",
            "kitchen",
            "case",
            "question",
            "affair_item",
            "affair_prereview",
            "affair_appointment",
            "care_call",
            "care_person",
            "care_family_person",
            "care_visit",
        ),
        "1",
    )
    filler.update(street="wanli", day="2026-01-05", compound="1", gate="gabc", display_key="k")
    filler.update(centre="1", counter="1", ticket="tok", remote_session="1", vol_rating="tok", vol_confirm="tok")
    filler.update(job="1", job_seeker="1", job_course="1", job_certificate="tok", job_fair="1")
    filler.update(survey="1", survey_closed="1", consultation="1")
    for stop in tour.STOPS:
        path = stop.path.format(**filler).split("?")[0]
        if stop.name.startswith("error:"):
            continue
        try:
            match = resolve(path)
        except Resolver404:
            pytest.fail(f"{stop.name}: {path} resolves to nothing")
        assert match.view_name == stop.name, (stop.name, path, match.view_name)
        assert tour.excluded_reason(stop.name) is None, f"{stop.name} is both a stop and excluded"
    for role_stop in tour.STOPS:
        assert set(role_stop.roles) <= set(tour.ROLES), role_stop


# ------------------------------------------------------------------------------------- the sample street


def tour_world() -> dict[str, Any]:
    """Load the sample street and give the elderly resident a booking, an order and a question asked."""
    from linli.access.models import Gate
    from linli.activities.models import Activity, Booking
    from linli.activities.services.bookings import booking_create
    from linli.affairs.models import Appointment, PreReview
    from linli.assistant.services.ask import answer_question
    from linli.care.models import Call as CareCall
    from linli.care.models import Person as CarePerson
    from linli.care.models import VisitRequest as CareVisit
    from linli.cases.models import Case
    from linli.core.models import Compound
    from linli.demo.access import demo_access_load
    from linli.demo.loader import demo_load
    from linli.jobs.models import Course, Enrollment, Fair, Job, Seeker
    from linli.jobs.services.courses import certificate_token
    from linli.meals.models import Kitchen, Menu, Order
    from linli.meals.services.orders import order_create
    from linli.meals.services.wallet import wallet_topup

    result = demo_load()
    street = result.street
    demo_access_load(street=street)
    users = {account.key: user for account, user in result.accounts}
    elder = users["elder"]
    now = timezone.now()

    booking = Booking.objects.filter(user=elder, status__in=("confirmed", "waitlisted")).first()
    if booking is None:
        for activity in Activity.objects.filter(street=street, start__gt=now, status="published").order_by("start"):
            try:
                booking = booking_create(activity=activity, user=elder)
                break
            except Exception:  # noqa: BLE001, S112 - an activity for other residents: try the next
                continue
    assert booking is not None, "no activity of the sample street takes a booking"

    order = Order.objects.filter(user=elder, date__gte=timezone.localdate()).order_by("-pk").first()
    if order is None:
        wallet_topup(user=elder, amount_fen=20000, actor=None)
        for menu in Menu.objects.filter(kitchen__street=street, status="published", cutoff_at__gt=now).order_by(
            "date", "pk"
        ):
            point = menu.kitchen.serves.order_by("pk").first()
            item = menu.items.order_by("pk").first()
            if point is None or item is None:
                continue
            try:
                order = order_create(
                    user=elder,
                    date=menu.date,
                    slot=menu.slot,
                    destination={"place_id": point.pk},
                    items=[{"menu_item_id": item.pk, "quantity": 1, "half": False}],
                )
                break
            except Exception:  # noqa: BLE001, S112 - sold out or not eligible: try the next menu
                continue
    assert order is not None, "no open menu of the sample street takes an order"

    question = answer_question(question="下周六有书法课吗", street=street)
    queue_fill = tour_queue(street, users)
    kitchen = Kitchen.objects.filter(street=street).order_by("pk").first()
    assert kitchen is not None
    day = Menu.objects.filter(kitchen=kitchen, date__gte=timezone.localdate()).order_by("date").first()
    gate = Gate.objects.filter(compound__street=street).exclude(display_key=None).order_by("pk").first()
    compound = Compound.objects.filter(street=street, gates__isnull=False).order_by("pk").first()
    case = Case.objects.filter(street=street).order_by("pk").first()
    assert gate is not None and compound is not None and case is not None
    affair_appointment = Appointment.objects.filter(user=elder, status="booked").order_by("start").first()
    affair_prereview = PreReview.objects.filter(user=elder).order_by("-pk").first()
    assert affair_appointment is not None and affair_prereview is not None
    return {
        "users": users,
        "fill": {
            "street": street.code,
            "place": order.destination_place_id or kitchen.serves.order_by("pk").first().pk,
            "activity": booking.activity_id,
            "booking": booking.pk,
            "order": order.pk,
            "kitchen": kitchen.pk,
            "day": (day.date if day else timezone.localdate()).isoformat(),
            "compound": compound.pk,
            "gate": gate.public_id,
            "display_key": gate.display_key,
            "case": case.pk,
            "question": question.pk,
            "affair_item": affair_appointment.item_id,
            "affair_prereview": affair_prereview.pk,
            "affair_appointment": affair_appointment.pk,
            "care_call": CareCall.objects.filter(street=street).order_by("-created_at").first().pk,
            "care_person": CarePerson.objects.filter(street=street).order_by("pk").first().pk,
            "care_family_person": CarePerson.objects.filter(street=street, contacts__phone=users["elder"].phone)
            .order_by("pk")
            .first()
            .pk,
            "care_visit": CareVisit.objects.filter(street=street, status="open").first().pk,
            "job": Job.objects.filter(street=street, status="open").order_by("pk").first().pk,
            "job_seeker": Seeker.objects.filter(street=street, user=None, applications__isnull=False)
            .order_by("pk")
            .first()
            .pk,
            "job_fair": Fair.objects.filter(street=street).order_by("pk").first().pk,
            "job_course": Course.objects.filter(street=street, enrollments__isnull=False).first().pk,
            "job_certificate": certificate_token(
                Enrollment.objects.filter(course__street=street, status="passed").order_by("pk").first()
            ),
            "vol_rating": tour_rating_token(street),
            "vol_confirm": tour_confirm_token(street),
            **queue_fill,
            **tour_voice(street),
        },
    }


def tour_voice(street: Any) -> dict[str, Any]:
    """Voice's stops: the demo's open survey, its closed one (public results) and the consultation in progress."""
    from linli.voice.models import Consultation, Survey

    now = timezone.now()
    surveys = Survey.objects.filter(street=street, is_needs_form=False).exclude(audience="link")
    return {
        "survey": surveys.filter(opens_at__lte=now, closes_at__gt=now).order_by("pk").first().pk,
        "survey_closed": surveys.filter(closes_at__lte=now, results_public=True).order_by("pk").first().pk,
        "consultation": Consultation.objects.filter(street=street, status="met").order_by("pk").first().pk,
    }


def tour_rating_token(street: Any) -> str:
    """The QR link of the sample street's delivered service-menu claim, which the elder rates."""
    from linli.volunteers.models import Claim
    from linli.volunteers.services.menu import rating_token

    claim = Claim.objects.filter(item__station__street=street, status="delivered").order_by("pk").first()
    assert claim is not None, "the sample street has no delivered service-menu claim"
    return rating_token(claim)


def tour_confirm_token(street: Any) -> str:
    """The QR link a volunteer on duty shows the residents served: another volunteer's latest verified shift."""
    from linli.volunteers.models import Signup
    from linli.volunteers.services.shifts import confirm_token

    signup = (
        Signup.objects.filter(shift__station__street=street, status="verified")
        .exclude(volunteer__user__phone="+8613800000010")
        .order_by("-shift__start")
        .first()
    )
    assert signup is not None, "the sample street has no verified shift"
    return confirm_token(signup)


def tour_queue(street: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The window queue's stops: the street's affairs centre, its window 1, a ticket of today (the elder's walk-in)
    and a remote session opened by the station staff at the first remote point."""
    from linli.affairs.models import Counter, Item, Resource
    from linli.affairs.services.queue import counter_create, ticket_walk_in
    from linli.affairs.services.remote import remote_session_open
    from linli.places.models import Place, PlaceKind

    centre = Place.objects.filter(street=street, kind=PlaceKind.AFFAIRS_CENTER).order_by("pk").first()
    assert centre is not None, "the sample street has no affairs centre"
    counter = Counter.objects.filter(place=centre).order_by("number").first() or counter_create(place=centre, number=1)
    item = Item.objects.filter(street=street, is_active=True).order_by("code").first()
    ticket = ticket_walk_in(place=centre, item=item, user=users["elder"])
    point = Resource.objects.filter(street=street, kind="remote").order_by("pk").first()
    assert point is not None, "the sample street has no remote service point"
    session = remote_session_open(resource=point, actor=users["station_staff"])
    return {"centre": centre.pk, "counter": counter.pk, "ticket": ticket.token, "remote_session": session.pk}


def data_strings() -> list[str]:
    """The street's own Chinese data (names, addresses, titles, descriptions): it stays Chinese in English.

    Text fields of every Linli model, except those with an English twin (`name` beside `name_en`, or `*_zh`):
    those are translated labels, which an English page must show in English."""
    found: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("linli."):
            continue
        names = {f.name for f in model._meta.get_fields()}
        fields = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, models.CharField | models.TextField)
            and not f.name.endswith("_zh")
            and f"{f.name}_en" not in names
            and not f.choices
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            for value in row:
                if value and CJK.search(value):
                    found.add(value)
                    found.update(part for part in re.split(r"[\s,，、·（）()]+", value) if CJK.search(part))
    return sorted(found, key=len, reverse=True)


# ----------------------------------------------------------------------------------------- the checks

PAGE_CHECKS_JS = r"""
(elder) => {
  const out = {overflow: [], small: [], type: [], unstyled: [], texts: []};
  const vw = document.documentElement.clientWidth;
  const visible = (el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    else if (el.classList.length) s += '.' + [...el.classList].slice(0, 2).join('.');
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ');
    return text ? `${s} "${text.slice(0, 30)}"` : s;
  };
  // Horizontal overflow: the page scrolls sideways, and which elements stick out (outside scrolling boxes).
  if (document.documentElement.scrollWidth > vw + 1) {
    out.overflow.push(`page is ${document.documentElement.scrollWidth}px wide on a ${vw}px screen`);
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1 || !visible(el)) continue;
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox !== 'visible') { clipped = true; break; }
      }
      if (!clipped && !(el.parentElement && el.parentElement.getBoundingClientRect().right > vw + 1)) {
        out.overflow.push(`${describe(el)} reaches ${Math.round(r.right)}px`);
      }
      if (out.overflow.length > 6) break;
    }
  }
  // The header: a quarter of a phone's screen at most.
  const header = document.querySelector('.site-header');
  if (header && vw < 700 && header.getBoundingClientRect().height > window.innerHeight / 4) {
    out.overflow.push(`header is ${Math.round(header.getBoundingClientRect().height)}px of a ${window.innerHeight}px screen`);
  }
  // Form controls at the browser's default style (13.33px system font, inset borders, grey buttons).
  const bodyFont = getComputedStyle(document.body).fontFamily;
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
    if (!visible(el) || el.closest('.leaflet-container')) continue;
    const cs = getComputedStyle(el);
    const type = (el.getAttribute('type') || '').toLowerCase();
    let why = '';
    if (type === 'checkbox' || type === 'radio') {
      if (cs.accentColor === 'auto' && cs.appearance !== 'none') why = 'default checkbox/radio';
    } else if (cs.fontSize === '13.3333px' || cs.fontFamily !== bodyFont) {
      why = `default font (${cs.fontSize} ${cs.fontFamily.slice(0, 20)})`;
    } else if (['inset', 'outset'].includes(cs.borderTopStyle)) {
      why = 'default border';
    }
    if (why) out.unstyled.push(`${describe(el)}: ${why}`);
  }
  // Type in elder mode: body text at least 20 px, and nothing on the page under 16 px.
  if (elder) {
    const body = parseFloat(getComputedStyle(document.body).fontSize);
    if (body < 20) out.type.push(`body text is ${body}px`);
    const tiny = new Set();
    const walk = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n && tiny.size < 4; n = walk.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest('.leaflet-container, .visually-hidden, script, style')) continue;
      if (!el.checkVisibility()) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 16) tiny.add(`${describe(el)} text is ${size.toFixed(1)}px`);
    }
    out.type.push(...tiny);
  }
  // Tap targets in elder mode: at least 48 x 48 px (a checkbox counts with its label; links inside a sentence
  // are exempt, as WCAG 2.5.8 exempts them; the map's own attribution is exempt).
  if (elder) {
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
    const hiddenAway = (el) => el.closest('.visually-hidden') || getComputedStyle(el).clipPath === 'inset(50%)';
    for (const el of document.querySelectorAll(sel)) {
      if (el.closest('.leaflet-marker-pane, .leaflet-control-attribution, .skip-link') || hiddenAway(el)) continue;
      let r = el.getBoundingClientRect();
      const type = (el.getAttribute('type') || '').toLowerCase();
      if ((type === 'checkbox' || type === 'radio') && el.labels && el.labels.length) {
        const lr = el.labels[0].getBoundingClientRect();
        if (lr.width * lr.height > r.width * r.height) r = lr;
        if (!el.labels[0].checkVisibility()) continue;
      } else if (!visible(el)) continue;
      if (r.width === 0 && r.height === 0) continue;
      if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') {
        const block = el.parentElement;
        const rest = [...block.childNodes].filter((n) => n !== el).map((n) => n.textContent).join('').trim();
        if (rest.length > 0) continue;
      }
      if (r.width < 47.5 || r.height < 47.5) {
        out.small.push(`${describe(el)} is ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
  }
  // The visible text (and the words read aloud: placeholders, labels, alternative text), for the language check.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.trim();
    if (!t) continue;
    const el = n.parentElement;
    if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    if (el.closest('[lang^="zh"]')) continue;
    const host = el.tagName === 'OPTION' ? el.closest('select') : el;
    if (!host || !(host.checkVisibility() || host.closest('.visually-hidden, .needs__legend'))) continue;
    out.texts.push(t);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], img[alt], [title]')) {
    if (el.closest('[lang^="zh"]') || !el.checkVisibility()) continue;
    for (const a of ['placeholder', 'aria-label', 'alt', 'title']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.texts.push(v.trim());
    }
  }
  return out;
}
"""

# Nothing under a fixed bar: scrolled to the end, the page's last buttons and links can be tapped (the point at
# their middle is theirs, not a fixed bottom bar's or a floating button's).
COVERED_JS = r"""
() => {
  window.scrollTo(0, document.documentElement.scrollHeight);
  const found = [];
  const targets = [...document.querySelectorAll('main a[href], main button, main input:not([type=hidden]), main select')]
    .filter((el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true}) && !el.closest('.leaflet-container, [style*="position: fixed"]'))
    .filter((el) => getComputedStyle(el).position !== 'fixed' && !el.closest('.bottom-bar, .assistant-entry'))
    .slice(-4);
  for (const el of targets) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.bottom <= 0 || r.top >= window.innerHeight) continue;
    const x = r.left + r.width / 2, y = Math.min(r.top + r.height * 0.85, window.innerHeight - 1);  // its lower part too
    const top = document.elementFromPoint(x, y);
    if (!top || top.contains(el) || el.contains(top) || (el.labels && [...el.labels].some((l) => l.contains(top)))) continue;
    // Covered by what stays put at the bottom (a bar, a floating button); a sticky map at the top is scrolled under.
    let fixed = null;
    for (let p = top; p && p !== document.body; p = p.parentElement) {
      const pos = getComputedStyle(p).position;
      if (pos === 'fixed' || pos === 'sticky') { fixed = p; break; }
    }
    if (fixed && fixed.getBoundingClientRect().top >= window.innerHeight / 2) {
      const cover = top.closest('[class]');
      found.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || '').trim().slice(0, 20)}" is under ${cover ? cover.className.toString().slice(0, 40) : top.tagName}`);
    }
  }
  window.scrollTo(0, 0);
  return found;
}
"""

INIT_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""


def untranslated(texts: list[str], keep: list[str]) -> list[str]:
    """The texts that still hold Chinese once the street's data and the kept words are taken out."""
    found = []
    for text in texts:
        if not CJK.search(text):
            continue
        rest = text
        for pattern in tour.ENGLISH_KEEP_PATTERNS:
            rest = re.sub(pattern, " ", rest)
        for word in keep:
            if word in rest:
                rest = rest.replace(word, " ")
                if not CJK.search(rest):
                    break
        # What is left may be the street's data cut short ("一辆没有牌照的电动车停了…"): a long piece of it passes.
        pieces = [p for p in re.split(r"[\s·…,.:;()（）：，、]+", rest) if CJK.search(p)]
        if any(len(piece) < 6 or not any(piece in word for word in keep) for piece in pieces):
            found.append(text[:60])
    return sorted(set(found))


def axe_contrast(page: Any, source: str) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate(
        "async () => await window.axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},"
        " resultTypes: ['violations']})"
    )
    problems = []
    for v in result["violations"]:
        if v["impact"] not in ("serious", "critical"):
            continue
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:4])
        problems.append(f"{v['id']} ({len(v['nodes'])}): {targets}")
    return problems


# ------------------------------------------------------------------------------------------- the tour


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def shots_dir() -> Path:
    path = Path(os.environ.get("LINLI_TOUR_DIR", "var/tour"))
    path.mkdir(parents=True, exist_ok=True)
    return path


WAIT_FOR_FRAGMENTS = "() => !document.querySelector('.fragment[hx-trigger=load], .htmx-request')"


def visit(page: Any, url: str, stop: tour.Stop, elder: bool, lang: str, axe: str, shot: Path) -> dict[str, list[str]]:
    """Open one stop in `page` and return what its checks found, by check."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    problems: dict[str, list[str]] = {}
    response = page.goto(url, wait_until="load")
    status = response.status if response else 0
    if stop.action.startswith("drop-session"):
        page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
        if stop.action == "drop-session-then-submit":  # a new browser, or a token rotated by a sign-in elsewhere
            page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
            with page.expect_navigation(wait_until="load"):
                page.locator(stop.submit).first.click()
        else:
            page.reload(wait_until="load")
    elif status != stop.status:
        problems["status"] = [f"answered {status}, expected {stop.status}"]
    elif stop.status == 200 and not stop.redirects and page.url.split("?")[0] != url.split("?")[0]:
        problems["status"] = [f"went to {page.url}"]
    try:
        page.wait_for_function(WAIT_FOR_FRAGMENTS, timeout=5_000)
    except Exception:  # noqa: BLE001 - reported as a finding
        problems.setdefault("status", []).append("htmx fragments still loading after 5 s")
    if stop.expect and page.locator(stop.expect).count() == 0:
        problems.setdefault("status", []).append(f"{stop.expect} is not on {page.url}")
    checks = page.evaluate(PAGE_CHECKS_JS, elder)
    csp = page.evaluate("() => window.__cspViolations")
    if stop.status != 200:  # the error page's own status is logged as a failed load
        errors = [e for e in errors if f"status of {stop.status}" not in e]
    errors = [e for e in errors if not any(re.search(p, e) for p in tour.CONSOLE_IGNORED)]
    problems["console"] = errors + [f"CSP: {c}" for c in csp]
    problems["overflow"] = checks["overflow"]
    problems["covered"] = page.evaluate(COVERED_JS)
    problems["tap-target"] = checks["small"]
    problems["type-size"] = checks["type"]
    problems["default-style"] = checks["unstyled"]
    if lang == "en":
        problems["untranslated"] = untranslated(checks["texts"], visit.keep)  # type: ignore[attr-defined]
    if lang == tour.LANGUAGES[0]:  # colours do not change with the language: axe runs once per page and role
        problems["contrast"] = axe_contrast(page, axe)
    page.screenshot(path=str(shot), full_page=True)
    return {k: v for k, v in problems.items() if v}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_tour(live_server: Any, chromium_browser: Any, settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # the demo's gate secrets file
    # Built in a thread of its own: Playwright's loop runs in this one, and the demo's live pushes (async_to_sync)
    # refuse to run beside it.
    box: dict[str, Any] = {}

    def build() -> None:
        try:
            # A transactional test before this one may have flushed the service catalogue its migration seeds.
            importlib.import_module("linli.places.migrations.0002_default_service_catalogue").seed(apps, None)
            box["world"] = tour_world()
            # Longest first: a kept word inside a longer piece of data ("电动车" in a closing note) would cut it.
            box["keep"] = sorted(tour.ENGLISH_KEEP + data_strings(), key=len, reverse=True)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            box["error"] = exc
        finally:
            connection.close()

    worker = threading.Thread(target=build)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    world = box["world"]
    visit.keep = box["keep"]  # type: ignore[attr-defined]
    users = world["users"]
    axe = AXE_JS.read_text(encoding="utf-8")
    shots = shots_dir()
    url = live_server.url
    found: dict[tuple[str, str, str, str], list[str]] = {}
    contexts: dict[tuple[str, str, str], Any] = {}
    visits = 0
    started = dt.datetime.now()

    def new_context(role: str, account: str, lang: str) -> Any:
        context = chromium_browser.new_context(
            viewport=SCREEN if role == "staff" else PHONE,
            locale="en-US" if lang == "en" else "zh-CN",
            device_scale_factor=1,
        )
        context.set_default_timeout(15_000)
        cookies = [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": url},
            {"name": "linli_elder", "value": "1" if role in tour.ELDER_ROLES else "0", "url": url},
        ]
        if account:
            cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session_cookie(users[account]), "url": url})
        context.add_cookies(cookies)
        context.add_init_script(INIT_JS)
        return context

    # LINLI_TOUR_ONLY=jobs:,voice: tours only the stops whose names start so (a domain's work in progress);
    # make test tours every stop.
    only = tuple(p for p in os.environ.get("LINLI_TOUR_ONLY", "").split(",") if p)
    stops = [s for s in tour.STOPS if not only or s.name.startswith(only)]
    try:
        for stop in stops:
            path = stop.path.format(**world["fill"])
            for role in stop.roles:
                account = {"visitor": "", "resident": "elder", "rider": "rider"}.get(role, stop.account)
                for lang in tour.LANGUAGES:
                    key = (role, account, lang)
                    if stop.action:  # it drops the session: a context of its own
                        context = new_context(role, account, lang)
                    else:
                        context = contexts.get(key) or contexts.setdefault(key, new_context(role, account, lang))
                    page = context.new_page()
                    shot = shots / f"{role}-{lang}-{stop.name.replace(':', '-')}.png"
                    try:
                        problems = visit(page, url + path, stop, role in tour.ELDER_ROLES, lang, axe, shot)
                    except Exception as exc:  # noqa: BLE001 - a page that cannot be toured is a finding too
                        problems = {"error": [f"{exc.__class__.__name__}: {str(exc)[:200]}"]}
                    finally:
                        page.close()
                        if stop.action:
                            context.close()
                    visits += 1
                    for check, items in problems.items():
                        found[(stop.name, role, lang, check)] = items
    finally:
        for context in contexts.values():
            context.close()

    def known(key: tuple[str, str, str, str]) -> str | None:
        name, role, lang, check = key
        return tour.KNOWN_FAILURES.get(key) or tour.KNOWN_FAILURES.get((name, role, "*", check))

    new = {k: v for k, v in found.items() if not known(k)}
    fixed = [
        k
        for k in tour.KNOWN_FAILURES
        if (not only or k[0].startswith(only))
        and not any(f[:2] == k[:2] and f[3] == k[3] and (k[2] in ("*", f[2])) for f in found)
    ]
    elapsed = (dt.datetime.now() - started).total_seconds()
    report = [f"tour: {visits} visits ({len(stops)} stops) in {elapsed:.0f} s; screenshots in {shots}"]
    report.append(f"failures: {len(found)} ({len(found) - len(new)} known, {len(new)} new); fixed: {len(fixed)}")
    for (name, role, lang, check), items in sorted(new.items()):
        report.append(f"- {name} [{role}, {lang}] {check}:")
        report.extend(f"    {item}" for item in items[:8])
    for key in fixed:
        report.append(f"- fixed, remove from KNOWN_FAILURES: {key}")
    print("\n".join(report))
    assert not new and not fixed, "\n".join(report)
