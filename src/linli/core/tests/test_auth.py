"""Sign-in by SMS code through the API and through the page; session, CSRF, me, elder mode."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.core.models import RoleAssignment, SmsCode, User
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, last_code

pytestmark = pytest.mark.django_db

PHONE = "+8613812345678"


def request_code(client: Client, capture, phone: str = "138 1234 5678", **extra):
    with capture(execute=True):
        return client.post("/api/v1/auth/sms-code", {"phone": phone}, content_type="application/json", **extra)


def test_api_sign_in_end_to_end(client, django_capture_on_commit_callbacks, outbox):
    resp = request_code(client, django_capture_on_commit_callbacks)
    assert resp.status_code == 202, resp.content
    assert resp.json() == {"sent": True, "resend_after": 60, "expires_in": 300}
    assert len(outbox) == 1 and outbox[0].phone == PHONE
    code = last_code(PHONE)
    # Only a digest is stored, never the code.
    row = SmsCode.objects.get(phone=PHONE)
    assert code not in row.digest and len(row.digest) == 64

    assert not User.objects.filter(phone=PHONE).exists()
    resp = client.post("/api/v1/auth/login", {"phone": PHONE, "code": code}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["session"] is True and body["token"] is None
    assert body["user"]["phone"] == "138****5678"
    assert User.objects.filter(phone=PHONE).exists()

    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["phone"] == "138****5678"
    assert me.json()["roles"] == []

    # The code is single-use.
    again = client.post("/api/v1/auth/login", {"phone": PHONE, "code": code}, content_type="application/json")
    assert again.status_code == 422
    assert again.json()["code"] == "sms_code_invalid"

    out = client.post("/api/v1/auth/logout")
    assert out.status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_api_login_with_token_for_app_clients(django_capture_on_commit_callbacks):
    # An app client: no cookies, CSRF checked -> no session, but a bearer token.
    app = Client(enforce_csrf_checks=True)
    request_code(app, django_capture_on_commit_callbacks)
    resp = app.post(
        "/api/v1/auth/login",
        {"phone": PHONE, "code": last_code(PHONE), "token": True},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["session"] is False
    assert body["token"].startswith("ll_")
    other = Client()
    assert other.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 200
    # Logging out with the bearer token revokes that token.
    assert other.post("/api/v1/auth/logout", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 200
    assert other.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 401


def test_api_login_without_csrf_and_without_token_is_refused(django_capture_on_commit_callbacks):
    browser = Client(enforce_csrf_checks=True)
    request_code(browser, django_capture_on_commit_callbacks)
    code = last_code(PHONE)
    resp = browser.post("/api/v1/auth/login", {"phone": PHONE, "code": code}, content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["code"] == "csrf_failed"
    # The code was not burnt: the same person signs in from the page's script with the cookie's token.
    browser.get("/login/")
    csrf = browser.cookies["csrftoken"].value
    resp = browser.post(
        "/api/v1/auth/login", {"phone": PHONE, "code": code}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["session"] is True
    assert browser.get("/api/v1/me").status_code == 200


def test_wrong_code_and_attempt_limit(client, django_capture_on_commit_callbacks, settings):
    settings.LINLI_SMS_MAX_ATTEMPTS = 3
    request_code(client, django_capture_on_commit_callbacks)
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for left in (2, 1):
        resp = client.post("/api/v1/auth/login", {"phone": PHONE, "code": wrong}, content_type="application/json")
        assert resp.status_code == 422
        assert resp.json()["code"] == "sms_code_invalid"
        assert f"还可尝试 {left} 次" in resp.json()["detail"]
    client.post("/api/v1/auth/login", {"phone": PHONE, "code": wrong}, content_type="application/json")
    # Three wrong attempts used the code up: even the right one is refused now.
    resp = client.post("/api/v1/auth/login", {"phone": PHONE, "code": code}, content_type="application/json")
    assert resp.status_code == 422
    assert SmsCode.objects.get(phone=PHONE).attempts == 3
    assert not User.objects.filter(phone=PHONE).exists()


def test_resend_limit_gives_429_with_retry_after(client, django_capture_on_commit_callbacks, outbox):
    assert request_code(client, django_capture_on_commit_callbacks).status_code == 202
    resp = request_code(client, django_capture_on_commit_callbacks, phone="+86 138-1234-5678")
    assert resp.status_code == 429
    assert resp["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == "rate_limited"
    assert 1 <= body["retry_after"] <= 60
    assert resp["Retry-After"] == str(body["retry_after"])
    assert len(outbox) == 1


def test_bad_phone_and_bad_body_are_problems_not_500(client):
    resp = client.post("/api/v1/auth/sms-code", {"phone": "12345"}, content_type="application/json")
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_phone"
    assert resp.json()["errors"][0]["field"] == "phone"
    resp = client.post("/api/v1/auth/sms-code", {"tel": 1}, content_type="application/json")
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    resp = client.post("/api/v1/auth/login", "not json", content_type="application/json")
    assert resp.status_code == 400 and resp.json()["code"] == "validation_error"  # 400: the body is not JSON at all
    resp = client.post(
        "/api/v1/auth/sms-code", {"phone": PHONE}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert resp.status_code == 202  # asked in English, sent (to the test outbox) all the same


def test_me_shows_roles_and_patch_updates(client, django_capture_on_commit_callbacks):
    request_code(client, django_capture_on_commit_callbacks)
    client.post("/api/v1/auth/login", {"phone": PHONE, "code": last_code(PHONE)}, content_type="application/json")
    user = User.objects.get(phone=PHONE)
    street = StreetFactory(code="wanli", name="万里街道")
    RoleAssignmentFactory(user=user, street=street, role="grid_worker")
    resp = client.patch(
        "/api/v1/me", {"display_name": "王阿姨", "elder_mode": True, "language": "en"}, content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["display_name"] == "王阿姨" and body["elder_mode"] is True and body["language"] == "en"
    assert body["roles"] == [{"street": "wanli", "street_name": "万里街道", "role": "grid_worker"}]
    user.refresh_from_db()
    assert user.elder_mode and user.display_name == "王阿姨"
    bad = client.patch("/api/v1/me", {"language": "fr"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "language"


def test_session_patch_me_requires_csrf(django_capture_on_commit_callbacks):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login/")
    csrf = browser.cookies["csrftoken"].value
    request_code(browser, django_capture_on_commit_callbacks)
    browser.post(
        "/api/v1/auth/login",
        {"phone": PHONE, "code": last_code(PHONE)},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    csrf = browser.cookies["csrftoken"].value  # rotated at sign-in
    resp = browser.patch("/api/v1/me", {"display_name": "x"}, content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["code"] == "csrf_failed"
    resp = browser.patch("/api/v1/me", {"display_name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert resp.status_code == 200


# ------------------------------------------------------------------------------------------- the page


def test_page_sign_in_without_javascript(django_capture_on_commit_callbacks):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login/?next=/me/")
    assert page.status_code == 200
    assert "获取验证码" in page.content.decode()
    csrf = browser.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        step2 = browser.post(
            "/login/", {"csrfmiddlewaretoken": csrf, "action": "send", "phone": "13812345678", "next": "/me/"}
        )
    assert step2.status_code == 200
    html = step2.content.decode()
    assert "验证码已发送到 138****5678" in html
    assert 'name="code"' in html and 'value="+8613812345678"' in html

    wrong = browser.post(
        "/login/",
        {"csrfmiddlewaretoken": csrf, "action": "verify", "phone": PHONE, "code": "12345x", "next": "/me/"},
    )
    assert wrong.status_code == 422
    assert "请输入6位数字验证码" in wrong.content.decode()

    done = browser.post(
        "/login/",
        {"csrfmiddlewaretoken": csrf, "action": "verify", "phone": PHONE, "code": last_code(PHONE), "next": "/me/"},
    )
    assert done.status_code == 302 and done["Location"] == "/me/"
    me = browser.get("/me/")
    assert me.status_code == 200
    assert "138****5678" in me.content.decode()
    assert "13812345678" not in me.content.decode()


def test_page_rejects_wrong_code_and_unsafe_next(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/login/", {"action": "send", "phone": PHONE})
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    resp = client.post("/login/", {"action": "verify", "phone": PHONE, "code": wrong})
    assert resp.status_code == 422
    assert "验证码错误" in resp.content.decode()
    resp = client.post("/login/", {"action": "verify", "phone": PHONE, "code": code, "next": "https://evil.example/"})
    assert resp.status_code == 302 and resp["Location"] == "/"


def test_page_shows_rate_limit_with_retry_time(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/login/", {"action": "send", "phone": PHONE})
        resp = client.post("/login/", {"action": "send", "phone": PHONE})
    assert resp.status_code == 429
    html = resp.content.decode()
    assert "操作太频繁" in html and "秒后再试" in html
    assert int(resp["Retry-After"]) > 0
    assert 'name="code"' in html  # the code already sent can still be typed


def test_page_bad_phone(client):
    resp = client.post("/login/", {"action": "send", "phone": "10086"})
    assert resp.status_code == 422
    assert "手机号格式不正确" in resp.content.decode()


def test_me_page_requires_sign_in(client):
    resp = client.get("/me/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/?next=/me/")


def test_logout_page_is_post_only(client):
    user = User.objects.create_user("+8613900000001")
    client.force_login(user)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/me/").status_code == 302


def test_elder_toggle_sets_cookie_and_user(client):
    resp = client.post("/elder/", {"elder": "1", "next": "/me/"})
    assert resp.status_code == 302 and resp["Location"] == "/me/"
    assert resp.cookies["linli_elder"].value == "1"
    assert resp.cookies["linli_elder"]["max-age"] == 365 * 24 * 3600
    user = User.objects.create_user("+8613900000002")
    client.force_login(user)
    resp = client.post("/elder/", {"next": "//evil.example/"})  # no value: toggles (cookie says on -> off)
    assert resp["Location"] == "/"
    assert resp.cookies["linli_elder"].value == "0"
    user.refresh_from_db()
    assert user.elder_mode is False
    client.post("/elder/", {"elder": "1"})
    user.refresh_from_db()
    assert user.elder_mode is True
    page = client.get("/me/")
    assert 'class="elder"' in page.content.decode()


def test_me_page_updates_profile_and_language(client):
    user = User.objects.create_user("+8613900000003")
    RoleAssignment.objects.create(user=user, street=StreetFactory(name="万里街道"), role="station_staff")
    client.force_login(user)
    page = client.get("/me/").content.decode()
    assert "万里街道" in page and "139****0003" in page
    resp = client.post("/me/", {"display_name": "老李", "language": "en"})
    assert resp.status_code == 302
    assert resp.cookies["django_language"].value == "en"
    user.refresh_from_db()
    assert user.display_name == "老李" and user.language == "en"
