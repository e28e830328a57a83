"""The holiday table: China's statutory days off and adjusted working days (调休), and street-level closures.

Imported into `linli.core.models` so Django registers them with the core app.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Street


class HolidayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假 holiday")
    WORKDAY = "workday", _("调休上班 adjusted working day")


class Holiday(models.Model):
    """One day of the State Council's arrangement (`street` empty) or a street's extra closure (`street` set).

    `year` is the notice the day belongs to (New Year's Day of 2027 may start on 31 December 2026). A street
    closure is always a day off (kind `holiday`)."""

    street = models.ForeignKey(
        Street,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=_("街道 street"),
        help_text=_("留空：全国法定安排；填写：本街道额外闭馆日 empty: national; set: the street's extra closure"),
    )
    date = models.DateField(_("日期 date"))
    kind = models.CharField(_("类型 kind"), max_length=10, choices=HolidayKind.choices)
    name = models.CharField(_("名称 name"), max_length=60, blank=True)
    name_en = models.CharField(_("英文名称 English name"), max_length=80, blank=True)
    year = models.PositiveSmallIntegerField(_("所属年度 notice year"), blank=True, help_text=_("留空：日期所在年份"))
    source = models.CharField(_("来源 source"), max_length=120, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=Q(street__isnull=True), name="holiday_national_date_unique"
            ),
            models.UniqueConstraint(
                fields=["street", "date"], condition=Q(street__isnull=False), name="holiday_street_date_unique"
            ),
            models.CheckConstraint(
                condition=Q(street__isnull=True) | Q(kind="holiday"), name="holiday_street_closure_is_day_off"
            ),
        ]
        indexes = [models.Index(fields=["year"], name="holiday_year")]
        verbose_name = _("节假日 holiday")
        verbose_name_plural = _("节假日与调休 holidays and adjusted working days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        if self.year is None and self.date is not None:
            self.year = self.date.year


class HolidayYear(models.Model):
    """A year whose official arrangement is in the table (seeded from chinese-calendar or imported from the
    State Council's notice). A year without a row has no official data: weekends are the only days off."""

    year = models.PositiveSmallIntegerField(_("年度 year"), unique=True)
    source = models.CharField(_("来源 source"), max_length=120, blank=True)
    loaded_at = models.DateTimeField(_("导入时间 loaded at"), default=timezone.now)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("已发布年度安排 official year")
        verbose_name_plural = _("已发布年度安排 official years")

    def __str__(self) -> str:
        return str(self.year)
