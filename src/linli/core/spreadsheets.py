"""The one CSV and Excel writer for every export (attendance lists, production lists, case lists, the gate audit,
the street's meals report): CSV in UTF-8 with a BOM (so Excel shows the Chinese) and CRLF line ends; Excel with a
bold title and header row. Every text cell goes through `safe_cell`: no cell is read as a formula (CSV
injection: text that starts with = + - @ or a tab/CR, after any leading spaces, gets a leading quote) and no cell
carries a whole phone or ID number (PIPL: `mask_personal_text`, so a number typed into a description or stored
in a phone column leaves only as 138****5678). Nothing exports a spreadsheet without this writer.

    csv_bytes(header=["姓名 Name"], rows=[["张阿姨"]])
    xlsx_bytes(sheet="签到名单", title="…", header=[...], rows=[...], widths=[8, 14])
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from linli.core.phones import mask_personal_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell that no spreadsheet reads as a formula and that shows no whole phone or ID number; None becomes an
    empty cell; numbers stay numbers."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    value = mask_personal_text(value)
    if value.lstrip(" \u3000")[:1] in FORMULA_STARTS or value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class CsvWriter:
    """Rows in, UTF-8-with-BOM bytes out; every cell made safe."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\r\n")

    def row(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(c) for c in cells])

    def rows(self, rows: Iterable[Iterable[Any]]) -> None:
        for cells in rows:
            self.row(cells)

    def bytes(self) -> bytes:
        return ("\ufeff" + self._out.getvalue()).encode("utf-8")


def csv_bytes(*, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """One header row, then the rows."""
    writer = CsvWriter()
    writer.row(header)
    writer.rows(rows)
    return writer.bytes()


def xlsx_bytes(
    *,
    sheet: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[int] = (),
    bold: Callable[[Sequence[Any]], bool] = lambda row: False,
) -> bytes:
    """A workbook of one sheet: a title row (bold, merged across the columns), a bold header row, then the rows
    (those for which `bold(row)` is true in bold); the first two rows stay in view when scrolling."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append([safe_cell(h) for h in header])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        if bold(row):
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
