"""A job as schema.org `JobPosting` (JSON-LD in the public job page)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from linli.jobs.models import HoursKind, Job
from linli.jobs.taxonomy import OCCUPATIONS

EMPLOYMENT_TYPE = {
    HoursKind.FULL_TIME: "FULL_TIME",
    HoursKind.PART_TIME: "PART_TIME",
    HoursKind.FLEXIBLE: "PART_TIME",
    HoursKind.SCHOOL_HOURS: "PART_TIME",
}
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def job_posting(job: Job, *, url: str) -> dict[str, Any]:
    occupation = OCCUPATIONS.get(job.occupation)
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": job.title,
        "description": job.description or job.title,
        "datePosted": job.created_at.date().isoformat(),
        "validThrough": job.valid_through.isoformat(),
        "employmentType": EMPLOYMENT_TYPE.get(HoursKind(job.hours_kind), "OTHER"),
        "hiringOrganization": {
            "@type": "Organization",
            "name": job.employer.name,
            "identifier": job.employer.credit_code,
        },  # fmt: skip
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": job.address,
                "addressLocality": job.street.city,
                "addressRegion": job.street.district,
                "addressCountry": "CN",
            },  # fmt: skip
            "geo": {"@type": "GeoCoordinates", "latitude": job.lat, "longitude": job.lng},
        },
        "totalJobOpenings": job.openings,
        "occupationalCategory": job.occupation,
        "url": url,
        "identifier": {"@type": "PropertyValue", "name": job.employer.name, "value": str(job.pk)},
    }
    if occupation is not None:
        data["occupationalCategory"] = f"{job.occupation} {occupation.name}"
    if job.pay_max_fen:
        data["baseSalary"] = {
            "@type": "MonetaryAmount", "currency": "CNY",
            "value": {"@type": "QuantitativeValue", "minValue": job.pay_min_fen / 100, "maxValue": job.pay_max_fen / 100,
                      "unitText": "MONTH"},
        }  # fmt: skip
    return data


def job_posting_script(job: Job, *, url: str) -> SafeString:
    text = json.dumps(job_posting(job, url=url), ensure_ascii=False, default=str).translate(_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 (escaped above)
