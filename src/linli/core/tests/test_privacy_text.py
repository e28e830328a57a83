"""PIPL: the one masking function for published text, and the one export writer that applies it to every cell."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from linli.core.phones import mask_personal_text
from linli.core.spreadsheets import csv_bytes, xlsx_bytes


@pytest.mark.parametrize(
    ("typed", "published"),
    [
        ("电话13812345678", "电话138****5678"),
        ("+86 138-1234-5678 找王师傅", "138****5678 找王师傅"),
        ("0086 13812345678", "138****5678"),
        ("身份证 310101199001011234。", "身份证 ******************。"),
        ("31010119900101123x", "******************"),
        ("订单 12345678901234567890、2026-12-07 12:00、31.2550,121.3950", None),  # not personal: unchanged
        ("门牌 12 号，热线 021-60000000", None),
    ],
)
def test_mask_personal_text(typed, published):
    assert mask_personal_text(typed) == (published if published is not None else typed)


def test_every_csv_and_excel_cell_is_masked_and_formula_safe():
    rows = [["王 13812345678", "=1+1", 13812345678, "310101199001011234"]]
    text = csv_bytes(header=["备注 note", "姓名", "数字", "证件"], rows=rows).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == ["王 138****5678", "'=1+1", "13812345678", "*" * 18]
    ws = load_workbook(io.BytesIO(xlsx_bytes(sheet="s", title="t", header=["a", "b", "c", "d"], rows=rows))).active
    assert [c.value for c in ws[3]] == ["王 138****5678", "'=1+1", 13812345678, "*" * 18]


def test_access_log_lines_never_carry_a_whole_phone_number():
    """uvicorn's and gunicorn's access records (arguments as a tuple or a mapping) are masked by the filter the
    core app installs, whatever URL a client sent."""
    import logging

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    keep = Keep()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "gunicorn.access")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:  # handlers of their own: a server run earlier may have stopped them propagating
        lg.addHandler(keep)
        lg.setLevel(logging.INFO)
    try:
        loggers[0].info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/api/v1/access/taps?phone=13812345678", "1.1", 422
        )
        loggers[1].info("%(r)s %(s)s", {"r": "GET /x?p=+8613812345678 HTTP/1.1", "s": "200"})
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(keep)
            lg.setLevel(level)
    lines = [r.getMessage() for r in keep.records]
    assert len(lines) == 2 and all("138****5678" in line for line in lines), lines
    assert not any("13812345678" in line for line in lines)
    assert isinstance(keep.records[0].args, tuple) and len(keep.records[0].args) == 5  # uvicorn's formatter: five
