"""Pluggable SMS backends. `LINLI_SMS_BACKEND` (a dotted path) picks one.

- ConsoleSmsBackend (default, embedded/demo): the developer's SMS inbox. It prints the whole message,
  including the sign-in code, to the server console so a demo user can sign in without a gateway.
- WebhookSmsBackend: how a street plugs in its SMS gateway: POSTs JSON {phone, message} with a bearer token
  to LINLI_SMS_WEBHOOK_URL and raises on any non-2xx answer.
- OutboxSmsBackend: keeps messages in memory (tests read the sent codes from it).
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from typing import Protocol

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from linli.core.phones import mask_phone

logger = logging.getLogger("linli.sms")


class SmsBackend(Protocol):
    def send(self, phone: str, message: str) -> None: ...


class SmsSendError(RuntimeError):
    """The gateway did not accept the message."""


class ConsoleSmsBackend:
    """Prints the full message to stdout (the demo's SMS inbox); the log line masks the phone."""

    def send(self, phone: str, message: str) -> None:
        logger.info("sms to %s sent to the console", mask_phone(phone))
        print(f"[SMS {timezone.localtime():%H:%M:%S}] to {phone}: {message}", file=sys.stdout, flush=True)


class WebhookSmsBackend:
    """POSTs {"phone", "message"} as JSON to the configured gateway URL with `Authorization: Bearer`."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url if url is not None else settings.LINLI_SMS_WEBHOOK_URL
        self.token = token if token is not None else settings.LINLI_SMS_WEBHOOK_TOKEN
        self.timeout = timeout
        if not self.url:
            raise SmsSendError("LINLI_SMS_WEBHOOK_URL is not set")

    def send(self, phone: str, message: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            resp = httpx.post(
                self.url, json={"phone": phone, "message": message}, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            logger.warning("sms webhook failed for %s: %s", mask_phone(phone), exc.__class__.__name__)
            raise SmsSendError(f"SMS gateway unreachable: {exc.__class__.__name__}") from exc
        if not resp.is_success:
            logger.warning("sms webhook answered %s for %s", resp.status_code, mask_phone(phone))
            raise SmsSendError(f"SMS gateway answered HTTP {resp.status_code}")
        logger.info("sms to %s accepted by the gateway", mask_phone(phone))


@dataclass(frozen=True)
class SentSms:
    phone: str
    message: str


class OutboxSmsBackend:
    """Keeps sent messages in a process-wide list (tests)."""

    outbox: list[SentSms] = []
    _lock = threading.Lock()

    def send(self, phone: str, message: str) -> None:
        with self._lock:
            type(self).outbox.append(SentSms(phone, message))

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.outbox.clear()


def sms_backend_check() -> None:
    """Refuse to start a server whose SMS backend prints sign-in codes to its console, unless this is a
    development or demo server (`LINLI_DEBUG=1`, or `LINLI_SMS_CONSOLE_ALLOWED=1` as `make demo` sets): in
    production every code and phone number would land in the logs. Called by `linli serve` and the ASGI and
    WSGI entry points."""
    backend_cls = import_string(settings.LINLI_SMS_BACKEND)
    if not (isinstance(backend_cls, type) and issubclass(backend_cls, ConsoleSmsBackend)):
        return
    if settings.DEBUG or getattr(settings, "LINLI_SMS_CONSOLE_ALLOWED", False):
        return
    raise ImproperlyConfigured(
        "短信后端是控制台（ConsoleSmsBackend）：验证码和手机号会写进服务器日志，生产环境不能这样启动。"
        "请设置 LINLI_SMS_BACKEND=linli.core.sms.WebhookSmsBackend 和 LINLI_SMS_WEBHOOK_URL；"
        "演示或开发时设置 LINLI_SMS_CONSOLE_ALLOWED=1（或 LINLI_DEBUG=1）。\n"
        "The SMS backend is the console (ConsoleSmsBackend): sign-in codes and phone numbers would go to the "
        "server's log, so a production server does not start with it. Set "
        "LINLI_SMS_BACKEND=linli.core.sms.WebhookSmsBackend and LINLI_SMS_WEBHOOK_URL; for a demo or development "
        "set LINLI_SMS_CONSOLE_ALLOWED=1 (or LINLI_DEBUG=1)."
    )


def get_sms_backend() -> SmsBackend:
    backend_cls = import_string(settings.LINLI_SMS_BACKEND)
    return backend_cls()
