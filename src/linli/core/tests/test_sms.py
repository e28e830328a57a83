"""SMS codes (expiry, limits, supersession), the rate limiter, and the SMS backends."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from linli.core import ratelimit, services
from linli.core.errors import Problem
from linli.core.models import SmsCode, User
from linli.core.sms import ConsoleSmsBackend, SmsSendError, WebhookSmsBackend, get_sms_backend
from linli.core.tests.factories import last_code

PHONE = "+8613812345678"


def send(capture, phone=PHONE, ip=None):
    with capture(execute=True):
        return services.sms_code_send(phone=phone, ip=ip)


@pytest.mark.django_db
def test_code_sent_and_verified_creates_user_once(django_capture_on_commit_callbacks, outbox):
    result = send(django_capture_on_commit_callbacks, phone="0086 138 1234 5678")
    assert result.phone == PHONE
    assert "【邻里】" in outbox[0].message
    user = services.sms_code_verify(phone="13812345678", code=last_code(PHONE))
    assert user.phone == PHONE
    assert User.objects.filter(phone=PHONE).count() == 1


@pytest.mark.django_db
def test_expired_code_is_refused(django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks)
    past = timezone.now() - timedelta(seconds=1)
    SmsCode.objects.filter(phone=PHONE).update(expires_at=past)
    with pytest.raises(Problem) as exc:
        services.sms_code_verify(phone=PHONE, code=last_code(PHONE))
    assert exc.value.code == "sms_code_invalid"


@pytest.mark.django_db
def test_new_code_supersedes_the_old(django_capture_on_commit_callbacks, settings):
    settings.LINLI_SMS_RESEND_SECONDS = 1
    send(django_capture_on_commit_callbacks)
    first = last_code(PHONE)
    ratelimit.reset(f"sms:resend:{PHONE}")
    send(django_capture_on_commit_callbacks)
    second = last_code(PHONE)
    if first != second:
        with pytest.raises(Problem):
            services.sms_code_verify(phone=PHONE, code=first)
    assert services.sms_code_verify(phone=PHONE, code=second).phone == PHONE


@pytest.mark.django_db
def test_hourly_limit_per_phone(django_capture_on_commit_callbacks, settings, outbox):
    settings.LINLI_SMS_CODES_PER_HOUR = 3
    for _ in range(3):
        send(django_capture_on_commit_callbacks)
        ratelimit.reset(f"sms:resend:{PHONE}")  # skip the resend interval; the hourly cap still counts
    with pytest.raises(Problem) as exc:
        send(django_capture_on_commit_callbacks)
    assert exc.value.code == "rate_limited"
    assert 3500 < exc.value.extra["retry_after"] <= 3600
    assert len(outbox) == 3
    # Another phone is not affected.
    send(django_capture_on_commit_callbacks, phone="+8613900000000")


@pytest.mark.django_db
def test_ip_limit(django_capture_on_commit_callbacks):
    for i in range(services.SMS_CODES_PER_IP_PER_HOUR):
        send(django_capture_on_commit_callbacks, phone=f"+86137{i:08d}", ip="10.0.0.9")
    with pytest.raises(Problem) as exc:
        send(django_capture_on_commit_callbacks, phone="+8613600000000", ip="10.0.0.9")
    assert exc.value.code == "rate_limited"
    send(django_capture_on_commit_callbacks, phone="+8613600000000", ip="10.0.0.10")


@pytest.mark.django_db
def test_invalid_phone_is_a_problem():
    with pytest.raises(Problem) as exc:
        services.sms_code_send(phone="+1 415 555 0100")
    assert exc.value.code == "invalid_phone"


def test_ratelimit_window():
    assert ratelimit.hit("t", 2, 60) == (True, 0)
    assert ratelimit.hit("t", 2, 60) == (True, 0)
    allowed, retry = ratelimit.hit("t", 2, 60)
    assert not allowed and 59 <= retry <= 60
    ratelimit.reset("t")
    assert ratelimit.hit("t", 2, 60)[0]


# ------------------------------------------------------------------------------------------ backends


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"auth": self.headers.get("Authorization"), "type": self.headers.get("Content-Type"), **json.loads(body)}
        )
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _Gateway.received = []
    _Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", _Gateway
    server.shutdown()
    server.server_close()


def test_webhook_backend_posts_json_with_bearer(gateway):
    url, handler = gateway
    WebhookSmsBackend(url=url, token="s3cret").send(PHONE, "验证码 123456")
    assert handler.received == [
        {"auth": "Bearer s3cret", "type": "application/json", "phone": PHONE, "message": "验证码 123456"}
    ]


def test_webhook_backend_raises_on_non_2xx(gateway):
    url, handler = gateway
    handler.status = 500
    with pytest.raises(SmsSendError, match="500"):
        WebhookSmsBackend(url=url, token="t").send(PHONE, "x")


def test_webhook_backend_raises_when_unreachable():
    with pytest.raises(SmsSendError):
        WebhookSmsBackend(url="http://127.0.0.1:9/sms", token="t", timeout=2).send(PHONE, "x")


@pytest.mark.django_db(transaction=True)
def test_configured_webhook_sends_codes_and_gateway_failure_is_503(gateway, settings, client):
    # Real commits here: the on_commit send runs inside the request, as in production.
    url, handler = gateway
    settings.LINLI_SMS_BACKEND = "linli.core.sms.WebhookSmsBackend"
    settings.LINLI_SMS_WEBHOOK_URL = url
    settings.LINLI_SMS_WEBHOOK_TOKEN = "tok"
    assert isinstance(get_sms_backend(), WebhookSmsBackend)
    resp = client.post("/api/v1/auth/sms-code", {"phone": PHONE}, content_type="application/json")
    assert resp.status_code == 202
    assert handler.received[0]["phone"] == PHONE and handler.received[0]["auth"] == "Bearer tok"
    code = handler.received[0]["message"].split("验证码是 ")[1][:6]
    assert services.sms_code_verify(phone=PHONE, code=code).phone == PHONE

    handler.status = 502
    resp = client.post("/api/v1/auth/sms-code", {"phone": "13900000000"}, content_type="application/json")
    assert resp.status_code == 503
    assert resp.json()["code"] == "sms_unavailable"
    # The failed send does not hold the person back for the resend interval.
    handler.status = 200
    resp = client.post("/api/v1/auth/sms-code", {"phone": "13900000000"}, content_type="application/json")
    assert resp.status_code == 202


def test_console_backend_prints_the_code(capsys, caplog):
    caplog.set_level("INFO", logger="linli.sms")
    ConsoleSmsBackend().send(PHONE, "【邻里】您的登录验证码是 654321")
    out = capsys.readouterr().out
    assert PHONE in out and "654321" in out
    assert "138****5678" in caplog.text and PHONE not in caplog.text


def test_client_ip_behind_local_proxy(rf):
    from linli.core.ratelimit import client_ip

    direct = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(direct) == "203.0.113.5"  # a client cannot spoof its address
    proxied = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert client_ip(proxied) == "198.51.100.7"
    junk = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="nonsense")
    assert client_ip(junk) == "127.0.0.1"


def test_a_server_refuses_to_start_with_the_console_backend_outside_a_demo(settings):
    """The console backend prints every sign-in code and phone number to the server's log: `linli serve` (and the
    ASGI/WSGI entry points) refuse it unless LINLI_DEBUG is on or LINLI_SMS_CONSOLE_ALLOWED=1, as `make demo`
    sets."""
    from pathlib import Path

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from linli.core.sms import sms_backend_check

    settings.LINLI_SMS_BACKEND = "linli.core.sms.ConsoleSmsBackend"
    settings.DEBUG, settings.LINLI_SMS_CONSOLE_ALLOWED = False, False
    with pytest.raises(ImproperlyConfigured, match="LINLI_SMS_CONSOLE_ALLOWED=1"):
        sms_backend_check()
    with pytest.raises(CommandError, match="短信后端是控制台") as exc:
        call_command("serve", "--port", "8139")
    assert exc.value.returncode == 1
    settings.LINLI_SMS_CONSOLE_ALLOWED = True
    sms_backend_check()
    settings.LINLI_SMS_CONSOLE_ALLOWED, settings.DEBUG = False, True
    sms_backend_check()
    settings.DEBUG, settings.LINLI_SMS_BACKEND = False, "linli.core.sms.WebhookSmsBackend"
    sms_backend_check()
    makefile = (Path(settings.BASE_DIR).parent.parent / "Makefile").read_text()
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "LINLI_SMS_CONSOLE_ALLOWED=" in demo and "linli serve" in demo  # `make demo` still serves


def test_rate_limits_fall_back_to_the_process_while_redis_is_away(settings, caplog):
    """Redis stopped: the limiter answers from a per-process window (same limits), the cache reads a miss, and
    the outage is logged once, not per request."""
    import logging
    import socket

    from django.core.cache import caches

    from linli.core.cache import redis_state

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CACHES = {
        "default": {"BACKEND": "linli.core.cache.ResilientRedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    }
    redis_state.reset()
    ratelimit._local.clear()
    try:
        with caplog.at_level(logging.WARNING, logger="linli.redis"):
            assert [ratelimit.hit("away", 2, 60)[0] for _ in range(3)] == [True, True, False]
            assert ratelimit.hit("away", 2, 60)[1] >= 59
            assert ratelimit.hit("other", 2, 60) == (True, 0)
            redis_state._retry_at = 0.0  # a second later: tried again, still away, not logged again
            assert caches["default"].get("k", "miss") == "miss" and caches["default"].add("k", 1) is False
        outages = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
        assert len(outages) == 1 and redis_state.down
    finally:
        redis_state.reset()
        ratelimit._local.clear()
