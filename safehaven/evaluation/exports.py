"""CSV, XLSX and PDF versions of the protected tables (aggregates only)."""

import csv
import io

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def inert(value):
    """Text a spreadsheet would run as a formula gets a leading quote; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cell(value):
    """A cell of a protected table: suppressed figures say so, text is made inert."""
    if value is None:
        return _("suppressed")
    if isinstance(value, (int, float)):
        return value
    return inert(str(value))


def table_rows(table: dict) -> list[list]:
    """Return header + rows of a page table, every cell neutralised."""
    out = [[safe_cell(h) for h in table["header"]]]
    for row in table["rows"]:
        out.append([safe_cell(row["label"])] + [safe_cell(v) for v in row["values"]])
    return out


def to_csv(title: str, tables: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(title)])
    for table in tables:
        writer.writerow([])
        writer.writerow([safe_cell(table["title"])])
        writer.writerows(table_rows(table))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(title: str, tables: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Evaluation"
    sheet.append([safe_cell(title)])
    for table in tables:
        sheet.append([])
        sheet.append([safe_cell(table["title"])])
        for row in table_rows(table):
            sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, never a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(context: dict) -> bytes:
    from safehaven.core.pdf import render_pdf

    html = render_to_string("evaluation/report_pdf.html", context)
    return render_pdf(html)
