"""Which optional services this deployment can reach, for `linli demo` to say (nothing here is required)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883, "redis": 6379, "rediss": 6380}


@dataclass(frozen=True)
class Found:
    key: str
    found: bool
    text: str  # one line, zh / en


def tcp_reachable(url: str, timeout: float = 0.5) -> bool:
    """Whether something accepts a TCP connection at the URL's host and port."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    if not host or not port:
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def optional_services() -> list[Found]:
    mqtt_url = str(getattr(settings, "LINLI_MQTT_URL", "") or "")
    if mqtt_url and tcp_reachable(mqtt_url):
        mqtt = Found(
            "mqtt", True, f"MQTT 代理 broker: 已连接 found at {mqtt_url} — 门禁开门指令走 MQTT gates open over MQTT"
        )
    else:
        mqtt = Found(
            "mqtt",
            False,
            f"MQTT 代理 broker: 未找到 not found ({mqtt_url or 'LINLI_MQTT_URL unset'}) — 门禁可用 HTTP 轮询或"
            "网页模拟器 / gates work over HTTP polling (linli gate-sim --transport http) or the simulator page; "
            "apt-get install mosquitto to open them over MQTT",
        )
    redis_url = str(getattr(settings, "REDIS_URL", "") or "")
    redis = Found(
        "redis",
        bool(redis_url),
        f"Redis: {redis_url}" if redis_url else "Redis: 未配置 not configured — 实时推送和缓存在进程内 in process",
    )
    db = Found("database", True, f"数据库 database: {connection.vendor}")
    llm_url = str(getattr(settings, "LINLI_ASSISTANT_LLM_URL", "") or "")
    llm = Found(
        "llm",
        bool(llm_url),
        f"问一问大模型 assistant model: {llm_url}"
        if llm_url
        else "问一问 assistant: 离线引擎 offline engine (no model)",
    )
    return [mqtt, redis, db, llm]
