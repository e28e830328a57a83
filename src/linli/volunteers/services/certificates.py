"""Certificates: a one-page PDF (drawn with Pillow, Noto CJK when installed) with the volunteer's verified hours
and a QR code whose link anyone can open to check the certificate (a signed token: nothing to store)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.core import signing
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from linli.core.errors import Problem
from linli.volunteers.models import Volunteer
from linli.volunteers.services.timebank import badges, earned_minutes, statement

SALT = "linli.volunteers.certificate"
FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)


@dataclass(frozen=True)
class Certificate:
    volunteer_id: int
    name: str
    street: str
    minutes: int
    year: int | None
    issued: str


def certificate_token(volunteer: Volunteer, year: int | None = None) -> str:
    minutes = earned_minutes(volunteer, year)
    payload = {"v": volunteer.pk, "m": minutes, "y": year, "d": timezone.localdate().isoformat()}
    return signing.dumps(payload, salt=SALT, compress=True)


def certificate_verify(token: str) -> Certificate:
    """The certificate a verification link names; Problem not_found when forged."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Problem("not_found") from None
    volunteer = Volunteer.objects.select_related("street").filter(pk=data.get("v")).first()
    if volunteer is None:
        raise Problem("not_found")
    return Certificate(
        volunteer.pk, _masked(volunteer.name), volunteer.street.name, int(data["m"]), data.get("y"), data["d"]
    )


def _masked(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def certificate_pdf(volunteer: Volunteer, *, year: int | None = None) -> bytes:
    token = certificate_token(volunteer, year)
    site = str(getattr(settings, "LINLI_SITE_URL", "") or "http://127.0.0.1:8000")
    url = f"{site}/volunteer/certificates/{token}/"
    minutes = earned_minutes(volunteer, year)
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 1200, 1714), outline=(178, 34, 34), width=6)
    draw.text((620, 220), "志愿服务证明", font=_font(88), fill=(178, 34, 34), anchor="mm")
    draw.text((620, 320), "Volunteer service certificate", font=_font(40), fill=(60, 60, 60), anchor="mm")
    period = f"{year} 年度" if year else "累计"
    lines = [
        f"{volunteer.name} 同志",
        f"在{volunteer.street.name}{period}参加志愿服务",
        f"经驿站核定服务时长 {minutes / 60:.1f} 小时",
        f"Verified hours: {minutes / 60:.1f}",
    ]
    for i, line in enumerate(lines):
        draw.text((160, 480 + i * 90), line, font=_font(48), fill="black")
    earned = badges(volunteer)
    if earned:
        draw.text((160, 860), "徽章 badges: " + " · ".join(f"{b}h" for b in earned), font=_font(40), fill=(178, 34, 34))
    qr_png = io.BytesIO()
    segno.make(url, error="m").save(qr_png, kind="png", scale=8, border=2)
    qr = Image.open(io.BytesIO(qr_png.getvalue())).convert("RGB").resize((360, 360))
    page.paste(qr, (800, 1240))
    draw.text((160, 1300), f"{volunteer.street.name}", font=_font(44), fill="black")
    draw.text((160, 1370), f"{timezone.localdate():%Y-%m-%d}", font=_font(40), fill="black")
    draw.text((160, 1560), "扫码核验 scan to verify", font=_font(32), fill=(90, 90, 90))
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=150.0)
    return out.getvalue()


def statement_pdf(volunteer: Volunteer, *, year: int) -> bytes:
    """The yearly statement as a one-page PDF: hours credited by month, exchanges, and the verification QR of
    the year's certificate."""
    st = statement(volunteer, year)
    token = certificate_token(volunteer, year)
    site = str(getattr(settings, "LINLI_SITE_URL", "") or "http://127.0.0.1:8000")
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 1200, 1714), outline=(178, 34, 34), width=4)
    draw.text((620, 150), f"{year} 年度志愿服务记录", font=_font(64), fill=(178, 34, 34), anchor="mm")
    draw.text((620, 225), f"Volunteer statement {year}", font=_font(36), fill=(60, 60, 60), anchor="mm")
    draw.text((120, 310), f"{volunteer.name} · {volunteer.street.name}", font=_font(44), fill="black")
    lines = [
        f"驿站核定时长 Verified: {st.earned / 60:.1f} 小时 h",
        f"互助收到 Received: {st.received} 分钟 min · 互助付出 Spent: {st.spent} 分钟 min",
    ]
    for i, line in enumerate(lines):
        draw.text((120, 390 + i * 60), line, font=_font(36), fill="black")
    y = 540
    draw.text((120, y), "月份 month", font=_font(32), fill=(90, 90, 90))
    draw.text((520, y), "核定小时 hours", font=_font(32), fill=(90, 90, 90))
    top = max([m for _n, m in st.by_month] + [1])
    for month, minutes in st.by_month:
        y += 62
        draw.text((120, y), f"{month:>2} 月", font=_font(34), fill="black")
        draw.text((520, y), f"{minutes / 60:.1f}", font=_font(34), fill="black")
        if minutes:
            draw.rectangle((680, y + 8, 680 + int(440 * minutes / top), y + 38), fill=(178, 34, 34))
    qr_png = io.BytesIO()
    segno.make(f"{site}/volunteer/certificates/{token}/", error="m").save(qr_png, kind="png", scale=6, border=2)
    qr = Image.open(io.BytesIO(qr_png.getvalue())).convert("RGB").resize((260, 260))
    page.paste(qr, (900, 1400))
    draw.text(
        (120, 1560), f"{timezone.localdate():%Y-%m-%d} · 扫码核验 scan to verify", font=_font(30), fill=(90, 90, 90)
    )
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=150.0)
    return out.getvalue()
