"""The tour: every page of every role, kept beside the URL configuration (`linli/urls.py`).

`make tour` (src/linli/tests/test_tour.py) signs in as each role of the sample street (`linli demo`), opens every
stop below in Chinese and in English, and fails on what a person would trip over: a console error or CSP
violation, a page wider than the screen, a tap target under 48 px in elder mode, a form control left at the
browser's default style, Chinese left on an English page, text below 4.5:1 contrast (axe-core, serious and
critical). It saves a screenshot per stop, role and language in `var/tour/` (LINLI_TOUR_DIR).

A URL pattern that is neither a stop nor in EXCLUDED fails `test_every_url_pattern_is_on_the_tour`: a new page
joins the tour when it is added. Paths are templates filled from the sample street: {street}, {place} (a meal
point), {venue} (an activity's venue), {activity}, {booking}, {order}, {kitchen}, {day}, {compound}, {gate},
{display_key}, {case}, {question}, {affair_item}, {affair_prereview}, {affair_appointment}, {care_call}, {care_person},
{care_family_person} (the entry the elder is a family contact of), {care_visit}, {centre} (the affairs centre), {counter} (its window 1), {ticket} (a queue ticket's token),
{remote_session}, {job} (an open job), {job_seeker} (a job seeker with matches and applications),
{job_course} (the finished sample course), {job_certificate} (a passed trainee's certificate token),
{job_fair} (the past sample job fair),
{survey} (the open survey), {survey_closed} (the closed one), {consultation} (the consultation in progress).

Roles (how the page is seen):
- `resident`: the elderly sample resident (胡阿姨, 78) in elder mode on a 390 px phone;
- `visitor`: the same phone in elder mode, not signed in;
- `rider`: the sample rider on a 390 px phone;
- `staff`: a 1366 px screen, signed in as the stop's `account` (a `linli.demo.ACCOUNTS` key; `admin` by default).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("visitor", "resident", "rider", "staff")
ELDER_ROLES = ("visitor", "resident")
LANGUAGES = ("zh-hans", "en")


@dataclass(frozen=True)
class Stop:
    name: str  # the URL pattern's name (namespace:name), or "error:<what>" for a page no pattern names
    path: str  # a template, filled from the sample street
    roles: tuple[str, ...]
    account: str = "admin"  # for the staff role: who signs in
    status: int = 200  # the answer expected
    action: str = ""  # "drop-session" (then reload) or "drop-session-then-submit" (the `submit` button)
    submit: str = "main form[method=post] [type=submit]"
    redirects: bool = False  # the path answers with a redirect to the page toured
    expect: str = ""  # a selector the page must show (what the scene is about)


STOPS: list[Stop] = [
    # core
    Stop("core:login", "/login/", ("visitor",)),
    Stop("core:me", "/me/", ("resident", "rider", "staff")),
    # places
    Stop("places:home", "/", ("visitor",), redirects=True),
    Stop("places:street_map", "/s/{street}/", ("resident", "rider")),
    Stop("places:detail", "/places/{place}/", ("resident",)),
    # activities
    Stop("activities:street_list", "/s/{street}/activities/", ("resident",)),
    Stop("activities:detail", "/activities/{activity}/", ("resident",)),
    Stop("activities:my_bookings", "/me/bookings/", ("resident",)),
    Stop("activities:booking_cancel", "/me/bookings/{booking}/cancel/", ("resident",)),
    Stop("activities:staff_list", "/staff/activities/?street={street}", ("staff",), account="station_staff"),
    Stop("activities:staff_new", "/staff/activities/new/?street={street}", ("staff",), account="station_staff"),
    Stop("activities:staff_edit", "/staff/activities/{activity}/edit/", ("staff",), account="station_staff"),
    Stop("activities:staff_cancel", "/staff/activities/{activity}/cancel/", ("staff",), account="station_staff"),
    Stop("activities:staff_bookings", "/staff/activities/{activity}/bookings/", ("staff",), account="station_staff"),
    Stop("activities:staff_checkin", "/staff/activities/{activity}/checkin/", ("staff",), account="station_staff"),
    # meals
    Stop("meals:resident_home", "/meals/", ("resident",)),
    Stop("meals:resident_menu", "/meals/p/{place}/", ("resident",)),
    Stop("meals:resident_orders", "/me/meals/", ("resident",)),
    Stop("meals:resident_order", "/me/meals/orders/{order}/", ("resident",)),
    Stop("meals:quality_rate", "/me/meals/orders/{order}/rate/", ("resident",)),
    Stop("meals:kitchen_menus", "/kitchen/menus/", ("staff",), account="kitchen_operator"),
    Stop("meals:kitchen_menus_import", "/kitchen/menus/import/", ("staff",), account="kitchen_operator"),
    Stop("meals:kitchen_menu", "/kitchen/menus/{kitchen}/{day}/lunch/", ("staff",), account="kitchen_operator"),
    Stop("meals:kitchen_settings", "/kitchen/settings/", ("staff",), account="kitchen_operator"),
    Stop("meals:kitchen_production", "/kitchen/production/", ("staff",), account="kitchen_operator"),
    Stop("meals:kitchen_labels", "/kitchen/labels/", ("staff",), account="kitchen_operator"),
    Stop("meals:kitchen_runs", "/kitchen/runs/", ("staff",), account="kitchen_operator"),
    Stop("meals:kitchen_collect", "/kitchen/collect/", ("staff",), account="station_staff"),
    Stop("meals:quality_kitchen", "/kitchen/quality/", ("staff",), account="kitchen_operator"),
    Stop("meals:rider_runs", "/rider/runs/", ("rider",)),
    Stop("meals:quality_home", "/quality/", ("staff",), account="food_supervisor"),
    Stop("meals:quality_inspect", "/quality/kitchens/{kitchen}/inspect/", ("staff",), account="food_supervisor"),
    Stop("meals:quality_tasting", "/quality/kitchens/{kitchen}/tasting/", ("staff",), account="food_supervisor"),
    Stop("meals:staff_report", "/staff/meals/?street={street}", ("staff",)),
    Stop("meals:counter", "/staff/meals/counter/?street={street}", ("staff",)),
    # cases
    Stop("cases:report", "/s/{street}/report/", ("rider", "resident")),
    Stop("cases:sentinels", "/s/{street}/sentinels/", ("rider",)),
    Stop("cases:my_reports", "/me/reports/", ("rider",)),
    Stop("cases:console", "/staff/cases/?street={street}", ("staff",)),
    Stop("cases:console_case", "/staff/cases/{case}/", ("staff",)),
    # access
    Stop("access:tap", "/access/tap/", ("rider",)),
    Stop("access:home", "/access/", ("staff",), account="property_manager"),
    Stop("access:compound", "/access/compounds/{compound}/", ("staff",), account="property_manager"),
    Stop("access:gate", "/access/gates/{gate}/", ("staff",), account="property_manager"),
    Stop("access:display", "/access/gates/{gate}/display/", ("staff",), account="property_manager"),
    Stop("access:display_public", "/access/display/{display_key}/", ("staff",), account=""),
    Stop("access:riders", "/access/staff/riders/?street={street}", ("staff",)),
    Stop("access:audit", "/access/audit/", ("staff",), account="property_manager"),
    # assistant
    Stop("assistant:ask", "/s/{street}/ask/", ("resident",)),
    Stop("assistant:review_queue", "/staff/assistant/?street={street}", ("staff",)),
    Stop("assistant:review_question", "/staff/assistant/questions/{question}/", ("staff",)),
    # affairs
    Stop("affairs:street_list", "/s/{street}/affairs/", ("resident", "visitor")),
    Stop("affairs:item_detail", "/affairs/items/{affair_item}/", ("resident",)),
    Stop("affairs:prereview_new", "/affairs/items/{affair_item}/prereview/", ("resident",)),
    Stop("affairs:book", "/affairs/items/{affair_item}/book/", ("resident",)),
    Stop("affairs:my_affairs", "/me/affairs/", ("resident",)),
    Stop("affairs:my_prereview", "/me/affairs/prereviews/{affair_prereview}/", ("resident",)),
    Stop("affairs:my_appointment", "/me/affairs/appointments/{affair_appointment}/", ("resident",)),
    Stop("affairs:staff_catalogue", "/staff/affairs/?street={street}", ("staff",), account="station_staff"),
    Stop("affairs:staff_item_new", "/staff/affairs/items/new/?street={street}", ("staff",), account="station_staff"),
    Stop("affairs:staff_item_edit", "/staff/affairs/items/{affair_item}/", ("staff",), account="station_staff"),
    Stop("affairs:staff_prereviews", "/staff/affairs/prereviews/?street={street}", ("staff",), account="station_staff"),
    Stop(
        "affairs:staff_prereview", "/staff/affairs/prereviews/{affair_prereview}/", ("staff",), account="station_staff"
    ),
    Stop("affairs:staff_book", "/staff/affairs/book/?street={street}&q=社保卡", ("staff",), account="station_staff"),
    Stop("affairs:staff_templates", "/staff/affairs/templates/?street={street}", ("staff",)),
    # care: the elder (on the sample register) presses the call button; a social worker and the care lead
    Stop("care:home", "/care/", ("resident",), expect="#care-call"),
    # ... and, as a family contact of her husband's entry, sees it and may correct it
    Stop("care:family", "/care/family/", ("resident",), redirects=True),
    Stop("care:family_person", "/care/family/{care_family_person}/", ("resident",), expect="#family-notes"),
    Stop("care:console", "/staff/care/?street={street}", ("staff",), account="social_worker", expect="#care-calls li"),
    Stop("care:call", "/staff/care/calls/{care_call}/", ("staff",), account="social_worker"),
    Stop("care:hotline", "/staff/care/hotline/?street={street}", ("staff",), account="social_worker"),
    Stop("care:people", "/staff/care/people/?street={street}", ("staff",), account="social_worker"),
    Stop("care:person", "/staff/care/people/{care_person}/", ("staff",), account="social_worker"),
    Stop("care:person_new", "/staff/care/people/new/?street={street}", ("staff",), account="social_worker"),
    Stop("care:day", "/staff/care/day/?street={street}", ("staff",), account="social_worker"),
    Stop("care:visit", "/staff/care/visits/{care_visit}/", ("staff",), account="social_worker"),
    Stop("care:lead", "/staff/care/lead/?street={street}", ("staff",), account="care_lead", expect="#care-rates"),
    # voice: the elder answers on her phone; the building-group head's door visits; staff results, needs and
    # 日日清约请; the public results and "what we did" pages
    Stop("voice:home", "/voice/?street={street}", ("visitor", "resident")),
    Stop("voice:answer", "/voice/s/{survey}/", ("resident",), expect="#voice-form"),
    Stop("voice:thanks", "/voice/s/{survey}/thanks/", ("resident",)),
    Stop("voice:need_new", "/voice/needs/new/?street={street}", ("resident",)),
    Stop("voice:public_results", "/voice/results/{survey_closed}/", ("visitor",)),
    Stop("voice:what_we_did", "/voice/what-we-did/{street}/", ("visitor",)),
    Stop("voice:staff_home", "/voice/staff/?street={street}", ("staff",), account="building_head"),
    Stop("voice:door", "/voice/door/{survey}/", ("staff",), account="building_head"),
    Stop("voice:survey_results", "/voice/staff/surveys/{survey_closed}/", ("staff",), account="station_staff"),
    Stop("voice:survey_new", "/voice/staff/surveys/new/?street={street}", ("staff",), account="station_staff"),
    Stop("voice:survey_edit", "/voice/staff/surveys/{survey}/edit/", ("staff",), account="station_staff"),
    Stop("voice:needs_board", "/voice/staff/needs/?street={street}", ("staff",), account="station_staff"),
    Stop("voice:consultations", "/voice/staff/consultations/?street={street}", ("staff",), account="station_staff"),
    Stop("voice:consultation", "/voice/staff/consultations/{consultation}/", ("staff",), account="station_staff"),
    # volunteers: the retired volunteer (elder mode), the enterprise's phone, station staff and the street's figures
    Stop("volunteers:home", "/volunteer/", ("resident",)),
    Stop("volunteers:checkin", "/volunteer/checkin/", ("resident",), expect="#checkin-button"),
    Stop("volunteers:time_bank", "/volunteer/time-bank/", ("resident",), expect="#tb-others"),
    Stop("volunteers:statement", "/volunteer/statement/", ("resident",), expect="#st-entries"),
    Stop("volunteers:courses", "/volunteer/courses/", ("resident",), expect="#vol-my-courses"),
    Stop("volunteers:claims", "/volunteer/menu/", ("resident", "rider")),
    Stop("volunteers:rate", "/volunteer/rate/{vol_rating}/", ("resident",), expect="#rate-form"),
    Stop("volunteers:confirm", "/volunteer/confirm/{vol_confirm}/", ("resident",), expect="#confirm-title"),
    Stop("volunteers:planner", "/staff/volunteers/?street={street}", ("staff",), account="station_staff"),
    Stop("volunteers:people", "/staff/volunteers/people/?street={street}", ("staff",), account="station_staff"),
    Stop(
        "volunteers:courses_review", "/staff/volunteers/courses/?street={street}", ("staff",), account="station_staff"
    ),
    Stop("volunteers:staff_menu", "/staff/volunteers/menu/?street={street}", ("staff",), account="station_staff"),
    Stop("volunteers:stats", "/staff/volunteers/stats/?street={street}", ("staff",), account="station_staff"),
    # jobs: the resident's jobs near home (the elder has no profile yet: the survey's invitation and form; 小林 surveyed
    # himself), a job's public page, the station worker, the station head, an employer (杜老板, the demo's employer)
    Stop("jobs:home", "/jobs/", ("resident",), expect="#jobs-profile-link"),
    Stop("jobs:home", "/jobs/", ("staff",), account="resident", expect="#jobs-matches .jobs-match"),
    Stop("jobs:profile", "/jobs/profile/", ("resident",), expect="#profile-save"),
    Stop("jobs:job", "/jobs/{job}/", ("visitor", "resident"), expect="#job-title"),
    Stop("jobs:board", "/staff/jobs/?street={street}", ("staff",), account="employment_worker", expect="#jobs-board"),
    Stop("jobs:seeker_new", "/staff/jobs/seekers/new/?street={street}", ("staff",), account="employment_worker"),
    Stop(
        "jobs:seeker",
        "/staff/jobs/seekers/{job_seeker}/",
        ("staff",),
        account="employment_worker",
        expect="#jobs-matches .jobs-match",
    ),
    # dashboard: the live picture (HQ staff see the street's HQ grid; the map's grids drill down) and the big screen
    Stop("dashboard:live", "/dashboard/live/?street={street}", ("staff",), expect="#live-map"),
    Stop("dashboard:screen", "/dashboard/screen/?street={street}", ("staff",), expect="[data-screen] #live-map"),
    Stop(
        "jobs:dashboard",
        "/staff/jobs/dashboard/?street={street}",
        ("staff",),
        account="employment_head",
        expect="#jobs-placed",
    ),  # fmt: skip
    Stop("jobs:employer", "/jobs/employer/", ("staff",), account="employer", expect="#jobs-candidates .jobs-candidate"),
    # jobs: training that ends in a job (the finished sample course, its roster and assessment; 小林 may enrol in the
    # next one), and a certificate's public check (its QR code's link)
    Stop("jobs:courses", "/staff/jobs/courses/?street={street}", ("staff",), account="employment_worker"),
    Stop(
        "jobs:course",
        "/staff/jobs/courses/{job_course}/",
        ("staff",),
        account="employment_worker",
        expect="#course-roster tr[data-enrollment]",
    ),  # fmt: skip
    Stop("jobs:my_courses", "/jobs/courses/", ("resident",)),
    Stop("jobs:my_courses", "/jobs/courses/", ("staff",), account="resident", expect="#open-courses [data-course]"),
    Stop("jobs:certificate_check", "/jobs/certificates/{job_certificate}/", ("visitor",), expect="#cert-valid"),
    # jobs: job fairs (the past sample fair's booths, on-site lists and results; the residents' coming fairs)
    Stop("jobs:fairs", "/staff/jobs/fairs/?street={street}", ("staff",), account="employment_worker"),
    Stop(
        "jobs:fair",
        "/staff/jobs/fairs/{job_fair}/",
        ("staff",),
        account="employment_worker",
        expect="#fair-results tr[data-booth]",
    ),  # fmt: skip
    Stop("jobs:fairs_public", "/jobs/fairs/", ("resident", "visitor")),
    # affairs: the window queue, remote windows, the centre head's metrics (issue 16 items 4-6)
    Stop("affairs:kiosk", "/staff/affairs/centres/{centre}/kiosk/", ("staff",), account="station_staff"),
    Stop(
        "affairs:kiosk_ticket",
        "/staff/affairs/centres/{centre}/kiosk/{ticket}/",
        ("staff",),
        account="station_staff",
        expect="#ticket-number",
    ),
    Stop("affairs:window", "/staff/affairs/window/?counter={counter}", ("staff",), account="station_staff"),
    Stop("affairs:hall", "/affairs/centres/{centre}/hall/", ("staff",), account="", expect="#hall-now"),
    Stop("affairs:ticket", "/affairs/t/{ticket}/", ("visitor",), expect="#ticket-number"),
    Stop("affairs:take_ticket", "/affairs/centres/{centre}/ticket/", ("resident",)),
    Stop("affairs:remote_console", "/staff/affairs/remote/", ("staff",), account="station_staff"),
    Stop(
        "affairs:remote_call",
        "/staff/affairs/remote/sessions/{remote_session}/",
        ("staff",),
        account="station_staff",
        expect="#rv-state",
    ),
    Stop("affairs:metrics", "/staff/affairs/metrics/?street={street}", ("staff",), expect="#metrics-charts svg"),
    Stop("affairs:skills", "/staff/affairs/skills/?street={street}", ("staff",)),
    # dashboard: the KPIs over time, drilled to a workstation (its units ranked, its overdue cases)
    Stop("dashboard:kpis", "/dashboard/?street={street}&g=month", ("staff",), expect="#kpi-cards li"),
    # pages no URL pattern names: the error pages, and a form sent after the session expired
    Stop("error:404", "/tour/no-such-page/", ("resident", "staff"), status=404),
    Stop("error:403", "/staff/cases/?street={street}", ("resident",), status=403),
    Stop("error:expired-session", "/me/meals/", ("resident",), action="drop-session", expect="input[name=phone]"),
    Stop(
        "error:csrf",
        "/me/",
        ("resident",),
        action="drop-session-then-submit",
        submit="form[action='/me/'] [type=submit]",
    ),
]

# URL patterns that are not pages, each with the reason. A namespace ending in ":" covers the namespace.
EXCLUDED: dict[str, str] = {
    "admin:": "Django's back office (its own templates and styles)",
    "api-v1:": "the JSON API (its document is walked by core/tests/test_openapi.py)",
    "open311_": "Open311 GeoReport v2: XML and JSON for partner systems",
    "set_language": "POST only: the language switch in the header",
    "core:logout": "POST only: redirects",
    "core:elder": "POST only: the elder-mode switch redirects",
    "activities:staff_publish": "POST only: redirects to the staff list",
    "activities:venue_activities": "an htmx fragment of places:detail (toured there)",
    "activities:map_link": "an htmx fragment of places:street_map (toured there)",
    "activities:map_badges": "an htmx fragment of places:street_map (toured there)",
    "meals:resident_order_cancel": "POST only: redirects to meals:resident_orders",
    "meals:resident_order_collect": "POST only: redirects to meals:resident_orders",
    "meals:lunch_offer_fragment": "an htmx fragment of activities:my_bookings and activities:detail (toured there)",
    "meals:kitchen_menu_item": "POST only: redirects to meals:kitchen_menu",
    "meals:kitchen_menu_item_remove": "POST only: redirects to meals:kitchen_menu",
    "meals:kitchen_menu_publish": "POST only: redirects to meals:kitchen_menus",
    "meals:kitchen_menu_unpublish": "POST only: redirects to meals:kitchen_menus",
    "meals:quality_photo": "an image (an inspection photo)",
    "meals:staff_report_csv": "a CSV download",
    "cases:photo": "an image (a report's photo)",
    "cases:console_bulk": "POST only: redirects to cases:console",
    "cases:console_move": "POST only: redirects to cases:console_case",
    "cases:console_merge": "POST only: redirects to cases:console_case",
    "cases:console_split": "POST only: redirects to cases:console_case",
    "access:rider_photo": "an image (a rider's photo)",
    "assistant:feedback": "POST only: an htmx answer",
    "assistant:map_panel": "an htmx fragment of places:street_map (toured there)",
    "meals:booking_cancel_lunch_fragment": "an htmx fragment of a booking's cancel step (toured with 我的预约)",
    "meals:elder_tier_fragment": "an htmx fragment of 我的 (toured there)",
    "affairs:window_action": "POST only: redirects to affairs:window",
    "affairs:remote_answer": "POST only: redirects to affairs:remote_call",
    "affairs:remote_end": "POST only: redirects to affairs:window or affairs:remote_console",
    "affairs:metrics_csv": "a CSV download",
    "affairs:remote_recording": "a video download (POST: the clerk's browser uploads the recording)",
    "assistant:curated_deactivate": "POST only: redirects to assistant:review_queue",
    "assistant:synonym_delete": "POST only: redirects to assistant:review_queue",
    "care:me_panel": "an htmx fragment of 我的 (toured there)",
    "care:people_csv": "a CSV download",
    "affairs:prereview_file": "a pre-review's file (an image or a PDF), for its owner and the reviewers",
    "affairs:my_appointment_ics": "an iCalendar file",
    "voice:answer_by_link": "a link-only survey's page, reached through its secret link token; in voice's page tests",
    "voice:invitation": "an invited party's signed link (no account); in voice's page and browser tests",
    "voice:survey_export": "a CSV or Excel download",
    "jobs:certificate": "a PDF download (a training certificate)",
    "volunteers:certificate": "a PDF download",
    "dashboard:export_csv": "a CSV download",
    "dashboard:export_xlsx": "an Excel download",
    "dashboard:case_escalate": "POST only: redirects to dashboard:kpis",
    "volunteers:statement_pdf": "a PDF download",
    "volunteers:claim_photo": "a photo file (JPEG) of a claim's report; in volunteers' page tests",
    "volunteers:certificate_check": "reached from a certificate's QR code (signed token); covered by volunteers' page tests",
    "volunteers:screen": "the station's door screen (a tablet showing the rotating QR code); in volunteers' browser test",
    "volunteers:screen_code": "JSON: the screen's next code",
    "volunteers:stats_csv": "a CSV download",
}

# Chinese that stays on an English page on purpose (beyond the street's own data: names of places, people,
# dishes and activities, addresses, which the test reads from the database).
ENGLISH_KEEP: list[str] = [
    "中文",  # the language switch names the other language in that language
    "电动车",  # the assistant's synonyms page gives examples of the words residents type
    "电瓶车",
]
# ... and patterns of it: a masked name (a reporter "张**").
ENGLISH_KEEP_PATTERNS: list[str] = [r"[\u4e00-\u9fff]\*+"]

# Console messages that are not the page's fault, each with the reason.
CONSOLE_IGNORED: list[str] = [
    # The tour's server is pytest-django's WSGI live server, without WebSockets; the live pushes are tested
    # against uvicorn by cases/tests/test_browser_cases.py.
    r"WebSocket connection to .* failed",
]

# Failures known and not yet fixed: (stop name, role, language or "*", check) -> why. A known failure that no
# longer happens fails the tour too, so this list only shrinks.
KNOWN_FAILURES: dict[tuple[str, str, str, str], str] = {}


def excluded_reason(name: str) -> str | None:
    for key, reason in EXCLUDED.items():
        if name == key or (key.endswith((":", "_")) and name.startswith(key)):
            return reason
    return None
