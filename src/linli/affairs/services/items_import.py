"""`linli import affairs FILE.csv --street CODE` and the catalogue page's upload: a street's item catalogue.

The whole file is checked first and every bad line reported with its number (`Problem("csv_invalid")`); then
everything is written in one transaction (all or nothing). Items are matched by code: a re-import updates them;
items missing from the file are left as they are. `linli export affairs --street CODE` writes the same format,
so export → import round-trips. See `CSV_HELP`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import Channel, Item, MaterialForm
from linli.affairs.services.items import ItemValues, MaterialValues, item_upsert
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.imports import ImportResult
from linli.core.inputs import InputError, clean_text
from linli.core.lenient import code as lenient_code
from linli.core.lenient import decode_text, norm, parse_int
from linli.core.models import Street, User
from linli.core.services import audit_log

CSV_COLUMNS = (
    "code",
    "name",
    "department",
    "channels",
    "prereview",
    "entrusted",
    "time_limit_days",
    "fee_fen",
    "eligibility",
    "materials",
    "keywords",
    "legal_basis",
)
CSV_HELP = (
    "事项目录表格 CSV（UTF-8，可带 BOM；GB18030 亦可），第一行为列名："
    + ",".join(CSV_COLUMNS)
    + "。channels 办理渠道用 | 分隔：window 窗口、self_service 自助、assisted 帮你办、remote 远程帮办、home 上门；"
    "prereview、entrusted 填 yes/no；time_limit_days 办结时限（工作日）；fee_fen 收费（分）；"
    "materials 材料用 ; 分隔，每项“名称*份数*original|copy”（original 原件，copy 复印件）；keywords 关键词用 | 分隔。"
    "同一编码再次导入即更新。整份文件有错则不写入任何数据。\n"
    "Affairs catalogue CSV (UTF-8 with or without BOM, or GB18030): header " + ",".join(CSV_COLUMNS) + "; "
    "channels and keywords separated by '|'; prereview/entrusted yes/no; materials 'name*count*original|copy' "
    "separated by ';'. Re-importing updates by code. All or nothing."
)

YES = frozenset({"yes", "y", "true", "1", "是", "可", "可以"})
NO = frozenset({"no", "n", "false", "0", "否", "不", "不可", ""})
CHANNEL_WORDS: dict[str, str] = {
    **{c.value: c.value for c in Channel},
    "窗口": Channel.WINDOW,
    "现场办": Channel.WINDOW,
    "自助": Channel.SELF_SERVICE,
    "自助办": Channel.SELF_SERVICE,
    "帮你办": Channel.ASSISTED,
    "帮办": Channel.ASSISTED,
    "远程": Channel.REMOTE,
    "远程帮办": Channel.REMOTE,
    "上门": Channel.HOME,
    "上门办": Channel.HOME,
}
FORM_WORDS: dict[str, str] = {
    "original": MaterialForm.ORIGINAL,
    "原件": MaterialForm.ORIGINAL,
    "copy": MaterialForm.COPY,
    "复印件": MaterialForm.COPY,
}
MAX_ITEMS = 5000


class _Errors(list):
    def add(self, line: int | None, column: str, message: Text) -> None:
        where = format_lazy(_("第 {line} 行"), line=line) if line else _("文件")
        entry: dict[str, Any] = field_error(column, format_lazy(_("{where}：{message}"), where=where, message=message))
        if line:
            entry = {"line": line, **entry}
        self.append(entry)


def _yes_no(value: str) -> bool | None:
    v = norm(value).lower()
    if v in YES:
        return True
    if v in NO:
        return False
    return None


def _materials(cell: str, line: int, errors: _Errors) -> list[MaterialValues]:
    out: list[MaterialValues] = []
    seen: set[str] = set()
    for part in [p.strip() for p in cell.replace("；", ";").split(";") if p.strip()]:
        bits = [b.strip() for b in part.replace("＊", "*").split("*")]
        if len(bits) != 3 or not bits[0]:
            errors.add(line, "materials", format_lazy(_("材料“{part}”应写成 名称*份数*original|copy"), part=part[:60]))
            continue
        name, count_text, form_text = bits
        count = parse_int(count_text)
        form = FORM_WORDS.get(norm(form_text).lower())
        if count is None or not 1 <= count <= 99:
            errors.add(line, "materials", format_lazy(_("材料“{name}”的份数应为 1–99"), name=name[:60]))
            continue
        if form is None:
            errors.add(line, "materials", format_lazy(_("材料“{name}”应注明 original 或 copy"), name=name[:60]))
            continue
        if len(name) > 120:
            errors.add(line, "materials", _("材料名称过长（最多 120 字）"))
            continue
        if name in seen:
            errors.add(line, "materials", format_lazy(_("材料“{name}”重复"), name=name[:60]))
            continue
        seen.add(name)
        out.append(MaterialValues(name=name, count=count, form=form))
    return out


def _row(cell: dict[str, str], line: int, errors: _Errors) -> ItemValues | None:
    before = len(errors)
    code = norm(cell["code"])
    if not code:
        errors.add(line, "code", _("必填项"))
    elif len(code) > 40:
        errors.add(line, "code", _("编码过长（最多 40 个字符）"))
    name = cell["name"]
    if not name:
        errors.add(line, "name", _("必填项"))
    elif len(name) > 120:
        errors.add(line, "name", _("名称过长（最多 120 字）"))
    if len(cell["department"]) > 120:
        errors.add(line, "department", _("部门名称过长（最多 120 字）"))
    channels: list[str] = []
    for word in [w for w in cell["channels"].replace("｜", "|").split("|") if w.strip()]:
        channel = CHANNEL_WORDS.get(lenient_code(word)) or CHANNEL_WORDS.get(norm(word))
        if channel is None:
            errors.add(
                line,
                "channels",
                format_lazy(
                    _("没有办理渠道“{word}”（可用 {choices}）"), word=word[:30], choices="|".join(Channel.values)
                ),
            )
        elif channel not in channels:
            channels.append(str(channel))
    if not channels and not cell["channels"].strip():
        errors.add(line, "channels", _("至少填写一种办理渠道"))
    flags: dict[str, bool] = {}
    for column in ("prereview", "entrusted"):
        value = _yes_no(cell[column])
        if value is None:
            errors.add(line, column, _("应填 yes 或 no"))
        flags[column] = bool(value)
    numbers: dict[str, int] = {}
    for column, top in (("time_limit_days", 365), ("fee_fen", 100_000_000)):
        text = cell[column]
        number = parse_int(text) if text else 0
        if number is None or not 0 <= number <= top:
            errors.add(line, column, format_lazy(_("应为 0–{top} 的整数"), top=top))
            number = 0
        numbers[column] = number
    materials = _materials(cell["materials"], line, errors)
    keywords = list(dict.fromkeys(k.strip() for k in cell["keywords"].replace("｜", "|").split("|") if k.strip()))
    if any(len(k) > 40 for k in keywords) or len(keywords) > 50:
        errors.add(line, "keywords", _("关键词过多或过长（最多 50 个，每个 40 字）"))
    if len(errors) > before:
        return None
    return ItemValues(
        code=code,
        name=name,
        department=cell["department"],
        channels=channels,
        prereview=flags["prereview"],
        entrusted=flags["entrusted"],
        time_limit_days=numbers["time_limit_days"],
        fee_fen=numbers["fee_fen"],
        eligibility=cell["eligibility"],
        materials=materials,
        keywords=keywords,
        legal_basis=cell["legal_basis"],
    )


def item_values_from_cells(cells: dict[str, str]) -> ItemValues:
    """One item from the back office's form, by the import's rules (cells named like the CSV columns);
    `validation_error` with each field's message."""
    errors = _Errors()
    cell: dict[str, str] = {}
    for c in CSV_COLUMNS:
        try:
            cell[c] = clean_text(str(cells.get(c, "") or ""), label=c == "name").strip()
        except InputError as exc:
            raise Problem("validation_error", errors=[field_error(c, exc.message)]) from None
    values = _row(cell, 0, errors)
    if values is None:
        raise Problem("validation_error", errors=list(errors))
    return values


def items_read(text: str) -> list[ItemValues]:
    """Every item of the file, or `Problem("csv_invalid")` with every bad line."""
    errors = _Errors()
    text = text.removeprefix("\ufeff")
    if not text.strip():
        errors.add(None, "file", _("文件是空的"))
        raise Problem("csv_invalid", detail=_("文件是空的"), errors=list(errors))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        errors.add(1, "header", _("无法读取列名"))
        raise Problem("csv_invalid", errors=list(errors)) from None
    columns = [norm(h).lower() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        errors.add(
            1,
            "header",
            format_lazy(
                _("缺少列 {missing}（应为 {expected}）"), missing=", ".join(missing), expected=",".join(CSV_COLUMNS)
            ),
        )
        raise Problem("csv_invalid", errors=list(errors))
    index = {c: columns.index(c) for c in CSV_COLUMNS}
    out: list[ItemValues] = []
    seen: dict[str, int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            errors.add(reader.line_num, "file", format_lazy(_("无法解析：{error}"), error=e))
            break
        line = reader.line_num
        if not any(c.strip() for c in raw):
            continue
        if len(out) + len(errors) >= MAX_ITEMS:
            errors.add(line, "file", format_lazy(_("一次最多导入 {max} 个事项"), max=MAX_ITEMS))
            break
        cell: dict[str, str] = {}
        bad = False
        for column, i in index.items():
            value = raw[i] if i < len(raw) else ""
            try:
                cell[column] = clean_text(value, label=column == "name").strip()
            except InputError as exc:
                errors.add(line, column, exc.message)
                bad = True
        if bad:
            continue
        values = _row(cell, line, errors)
        if values is None:
            continue
        if values.code in seen:
            errors.add(
                line,
                "code",
                format_lazy(_("编码 {code} 与第 {other} 行重复"), code=values.code, other=seen[values.code]),
            )
            continue
        seen[values.code] = line
        out.append(values)
    if errors:
        raise Problem("csv_invalid", detail=format_lazy(_("共 {count} 处错误"), count=len(errors)), errors=list(errors))
    if not out:
        raise Problem("csv_invalid", detail=_("文件里没有事项"), errors=[field_error("file", _("文件里没有事项"))])
    return out


def items_import(*, street: Street, text: str | bytes, actor: User | None = None) -> ImportResult:
    """Import a catalogue CSV into `street`, all or nothing."""
    if isinstance(text, bytes):
        try:
            text, _encoding = decode_text(text)
        except UnicodeDecodeError:
            raise Problem(
                "csv_invalid", errors=[field_error("file", _("文件编码无法识别（应为 UTF-8 或 GB18030）"))]
            ) from None
    rows = items_read(text)
    result = ImportResult()
    with transaction.atomic():
        for values in rows:
            _item, outcome = item_upsert(street=street, values=values)
            setattr(result, outcome, getattr(result, outcome) + 1)
        audit_log(
            actor=actor,
            action="affairs.items_import",
            street=street,
            data={**result.as_dict(), "rows": len(rows)},
        )
    return result


def item_csv_row(item: Item) -> list[str]:
    """One item as a line of the import format."""
    materials = ";".join(f"{m.name}*{m.count}*{m.form}" for m in item.materials.all() if m.position < 1000)
    return [
        item.code,
        item.name,
        item.department,
        "|".join(item.channels or []),
        "yes" if item.prereview else "no",
        "yes" if item.entrusted else "no",
        str(item.time_limit_days),
        str(item.fee_fen),
        item.eligibility,
        materials,
        "|".join(item.keywords or []),
        item.legal_basis,
    ]
