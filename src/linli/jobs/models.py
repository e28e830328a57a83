"""Jobs tables (issue 18): stations, seekers (private: employment staff of the street only), employers and their
jobs, the street's roads for travel times, and applications moving through the pipeline
(`services/pipeline_states.py`) with an append-only timeline. Workflows live in services."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Compound, Street, User


class Shift(models.TextChoices):
    MORNING = "morning", _("上午")
    AFTERNOON = "afternoon", _("下午")
    EVENING = "evening", _("晚上")
    NIGHT = "night", _("夜班")


class HoursKind(models.TextChoices):
    FULL_TIME = "full_time", _("全职")
    PART_TIME = "part_time", _("兼职")
    FLEXIBLE = "flexible", _("灵活工时")
    SCHOOL_HOURS = "school_hours", _("接送孩子时段以外（9点到15点）")


class TravelMode(models.TextChoices):
    WALK = "walk", _("步行")
    BIKE = "bike", _("骑车")
    TRANSIT = "transit", _("公交地铁")


class Education(models.TextChoices):
    NONE = "none", _("未上学")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中或中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科及以上")


class Constraint(models.TextChoices):
    CAREGIVING = "caregiving", _("要照顾家人")
    WHEELCHAIR = "wheelchair", _("使用轮椅，需要无障碍")
    NO_HEAVY = "no_heavy", _("不能搬重物")
    NO_NIGHT = "no_night", _("不能上夜班")


class Benefit(models.TextChoices):
    DIBAO = "dibao", _("低保")
    UNEMPLOYED = "unemployed", _("已做失业登记")
    DISABILITY = "disability", _("残疾人证")


class Station(models.Model):
    """An employment station (就业服务站) of the street."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称 name"), max_length=100)
    address = models.CharField(_("地址 address"), max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["street", "name", "id"]
        verbose_name = _("就业服务站 employment station")
        verbose_name_plural = _("就业服务站 employment stations")

    def __str__(self) -> str:
        return self.name


class Seeker(models.Model):
    """A job seeker's needs survey (需求摸排). Private: only the street's employment staff and the person."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="seekers")
    caseworker = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="job_profiles")
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("姓名 name"), max_length=50)
    phone = models.CharField(_("手机号 phone"), max_length=20, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    occupations = models.JSONField(_("想做的职业 wanted occupations"), default=list)
    skills = models.JSONField(_("技能 skills"), default=list)
    experience_years = models.PositiveSmallIntegerField(_("工作年限 years of experience"), default=0)
    education = models.CharField(
        _("学历 education"), max_length=12, choices=Education.choices, default=Education.JUNIOR
    )
    hours = models.JSONField(_("想要的工时 wanted hours"), default=list)
    shifts = models.JSONField(_("能上班的时段 available shifts"), default=list)
    max_minutes = models.PositiveSmallIntegerField(_("最远路程（分钟） longest trip (minutes)"), default=15)
    travel_mode = models.CharField(_("出行方式 travel mode"), max_length=8, choices=TravelMode.choices,
                                   default=TravelMode.WALK)  # fmt: skip
    constraints = models.JSONField(_("限制 constraints"), default=list)
    accommodations = models.CharField(_("需要的便利 accommodations needed"), max_length=300, blank=True)
    health_notes = models.CharField(_("健康情况 health"), max_length=300, blank=True)
    benefits = models.JSONField(_("保障情况 benefits"), default=list)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    consent_at = models.DateTimeField(_("同意时间 consent given"))
    active = models.BooleanField(default=True)
    registered_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["street", "name", "id"]
        indexes = [models.Index(fields=["street", "active"])]
        verbose_name = _("求职者 job seeker")
        verbose_name_plural = _("求职者 job seekers")

    def __str__(self) -> str:
        return self.name


class Employer(models.Model):
    """An employer of the street, verified by staff (统一社会信用代码 checked by its checksum)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称 name"), max_length=120)
    credit_code = models.CharField(_("统一社会信用代码 unified social credit code"), max_length=18)
    sector = models.CharField(_("行业 sector"), max_length=40, blank=True)
    contact_name = models.CharField(_("联系人 contact"), max_length=50, blank=True)
    phone = models.CharField(_("电话 phone"), max_length=20, blank=True)
    address = models.CharField(_("地址 address"), max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    members = models.ManyToManyField(User, blank=True, related_name="employers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["street", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["street", "credit_code"], name="jobs_employer_code_unique")]
        verbose_name = _("用人单位 employer")
        verbose_name_plural = _("用人单位 employers")

    def __str__(self) -> str:
        return self.name


class JobStatus(models.TextChoices):
    OPEN = "open", _("招聘中")
    CLOSED = "closed", _("已结束")


class Job(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="jobs")
    external_id = models.CharField(max_length=64, blank=True)
    title = models.CharField(_("岗位名称 title"), max_length=100)
    occupation = models.CharField(_("职业 occupation"), max_length=20)
    skills_essential = models.JSONField(_("必备技能 essential skills"), default=list)
    skills_optional = models.JSONField(_("加分技能 optional skills"), default=list)
    description = models.TextField(_("岗位说明 description"), blank=True, max_length=4000)
    address = models.CharField(_("工作地点 address"), max_length=200, blank=True)
    lat = models.FloatField()
    lng = models.FloatField()
    hours_kind = models.CharField(_("工时 hours"), max_length=12, choices=HoursKind.choices)
    shifts = models.JSONField(_("班次 shifts"), default=list)
    pay_min_fen = models.PositiveIntegerField(_("月薪下限（分） pay from (fen)"), default=0)
    pay_max_fen = models.PositiveIntegerField(_("月薪上限（分） pay up to (fen)"), default=0)
    step_free = models.BooleanField(_("无障碍 step-free"), default=False)
    heavy_lifting = models.BooleanField(_("需搬重物 heavy lifting"), default=False)
    openings = models.PositiveSmallIntegerField(_("招聘人数 openings"), default=1)
    valid_through = models.DateField(_("截止日期 valid through"))
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.OPEN)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["street", "-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(pay_max_fen__gte=models.F("pay_min_fen")), name="jobs_job_pay_range"),
            models.CheckConstraint(condition=Q(openings__gte=1), name="jobs_job_openings"),
        ]
        indexes = [models.Index(fields=["street", "status", "valid_through"])]
        verbose_name = _("岗位 job")
        verbose_name_plural = _("岗位 jobs")

    def __str__(self) -> str:
        return self.title


class Road(models.Model):
    """One LineString of the street's road network (imported GeoJSON, e.g. from OpenStreetMap), WGS-84."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100, blank=True)
    coordinates = models.JSONField()  # [[lng, lat], ...]
    walk = models.BooleanField(default=True)
    bike = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["street"])]


class AppStatus(models.TextChoices):
    SUGGESTED = "suggested", _("已推荐")
    APPLIED = "applied", _("本人申请")
    CONTACTED = "contacted", _("已联系")
    INTERVIEW = "interview", _("面试")
    OFFER = "offer", _("录用通知")
    HIRED = "hired", _("已上岗")
    REFUSED = "refused", _("未成")
    RETAINED = "retained", _("三个月在岗")
    LEFT = "left", _("已离职")


class RefusalReason(models.TextChoices):
    NOT_MOBILE = "not_mobile", _("路程太远，去不了")
    HOURS = "hours", _("工作时间不合适")
    PAY = "pay", _("工资不合适")
    SKILLS = "skills", _("技能不符")
    HEALTH = "health", _("身体原因")
    NO_LONGER_AVAILABLE = "no_longer_available", _("岗位已招满或取消")
    NO_ANSWER = "no_answer", _("用人单位60天未答复，自动结束")
    WITHDRAWN = "withdrawn", _("本人不再求职")
    OTHER = "other", _("其他")


PLACED = (AppStatus.HIRED, AppStatus.RETAINED)


class Application(models.Model):
    """A seeker and a job in the pipeline. One per seeker and job (so one hire per person per job); a person is
    placed (hired or retained) in at most one job at once."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    seeker = models.ForeignKey(Seeker, on_delete=models.CASCADE, related_name="applications")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="applications")
    status = models.CharField(max_length=10, choices=AppStatus.choices, default=AppStatus.SUGGESTED)
    refusal_reason = models.CharField(max_length=20, choices=RefusalReason.choices, blank=True)
    fair = models.ForeignKey("Fair", null=True, blank=True, on_delete=models.SET_NULL, related_name="applications")
    reasons = models.JSONField(default=list)  # the match's reasons when it was suggested
    score = models.FloatField(default=0)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    moved_at = models.DateTimeField(default=timezone.now)  # the last move: the employer's clock starts here
    reminded_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    interview_at = models.DateTimeField(null=True, blank=True)
    offer_at = models.DateTimeField(null=True, blank=True)
    hired_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    retained_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-moved_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["seeker", "job"], name="jobs_application_once"),
            models.UniqueConstraint(
                fields=["seeker"], condition=Q(status__in=["hired", "retained"]), name="jobs_placed_once"
            ),
        ]
        indexes = [models.Index(fields=["street", "status", "moved_at"])]
        verbose_name = _("求职进展 application")
        verbose_name_plural = _("求职进展 applications")


class ApplicationEvent(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20, default="transition")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Course(models.Model):
    """A training course that ends in a job (培训结束即就业): class hours over sessions at a venue, each session an
    activity (activities' capacity, booking and waitlist), a practical assessment, and the employers' jobs it leads
    to — passing it proposes an interview for each (`services.courses.assessment_record`)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses")
    title = models.CharField(_("课程名称 title"), max_length=100)
    description = models.TextField(_("课程说明 description"), blank=True, max_length=4000)
    occupation = models.CharField(_("职业 occupation"), max_length=20, blank=True)
    skills = models.JSONField(_("学到的技能 skills taught"), default=list)
    class_hours = models.PositiveSmallIntegerField(_("课时 class hours"), default=20)
    venue = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveSmallIntegerField(_("名额 places"), default=12)
    first_start = models.DateTimeField(_("第一次课 first session"))
    session_minutes = models.PositiveSmallIntegerField(_("每次时长（分钟） minutes per session"), default=300)
    sessions = models.PositiveSmallIntegerField(_("上课次数 sessions"), default=4)
    min_attendance = models.PositiveSmallIntegerField(_("至少出勤次数 sessions to attend"), default=3)
    pass_mark = models.PositiveSmallIntegerField(_("实操考核及格分 pass mark"), default=60)
    activity_ids = models.JSONField(default=list, blank=True)
    jobs = models.ManyToManyField(Job, blank=True, related_name="courses")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["street", "-first_start", "id"]
        verbose_name = _("培训课程 training course")
        verbose_name_plural = _("培训课程 training courses")

    def __str__(self) -> str:
        return self.title


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("在读")
    PASSED = "passed", _("考核通过")
    FAILED = "failed", _("考核未通过")
    WITHDRAWN = "withdrawn", _("已退出")


class Enrollment(models.Model):
    """A seeker on a course: a booking of each session (activities), attendance, the assessment."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    seeker = models.ForeignKey(Seeker, on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED)
    attended = models.JSONField(default=list, blank=True)  # the activity ids of the sessions attended
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    assessed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["course", "id"]
        constraints = [models.UniqueConstraint(fields=["course", "seeker"], name="jobs_enrollment_once")]
        verbose_name = _("培训学员 course enrollment")
        verbose_name_plural = _("培训学员 course enrollments")


class Fair(models.Model):
    """A job fair (招聘会): an event at a venue whose registration is an activity (residents book it through
    activities), with employer booths and their jobs; interviews and offers made there carry the fair."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("招聘会名称 title"), max_length=100)
    venue = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField(_("开始 start"))
    end = models.DateTimeField(_("结束 end"))
    activity_id = models.PositiveBigIntegerField(null=True, blank=True)  # the registration (activities)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["street", "-start", "id"]
        verbose_name = _("招聘会 job fair")
        verbose_name_plural = _("招聘会 job fairs")

    def __str__(self) -> str:
        return self.title


class Booth(models.Model):
    fair = models.ForeignKey(Fair, on_delete=models.CASCADE, related_name="booths")
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="booths")
    number = models.PositiveSmallIntegerField(default=1)
    jobs = models.ManyToManyField(Job, blank=True, related_name="booths")

    class Meta:
        ordering = ["fair", "number", "id"]
        constraints = [models.UniqueConstraint(fields=["fair", "employer"], name="jobs_booth_once")]
