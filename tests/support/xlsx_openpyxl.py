#!/usr/bin/env python3
"""Reads a wide sheet with openpyxl, independently of parkstat's xlsx reader,
and compares it with the records the reader wrote.

usage: xlsx_openpyxl.py BOOK.xlsx SHEET HEADER_ROW RECORDS.tsv

The sheet's column A holds dates (the quarter's last month) below the header
row, the other columns one series each, named by the header row. RECORDS.tsv
has one line per record: indicator TAB period (YYYY-Qn) TAB value. Prints
"compared N values" and exits 0 when every cell of the sheet matches a record
and no record is left over; exits 77 when openpyxl is not installed.
"""
import sys

try:
    import openpyxl
except ImportError:
    print("python3-openpyxl is not installed: values not compared")
    sys.exit(77)


def main():
    book, sheet, header_row, records = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ws = openpyxl.load_workbook(book, read_only=True, data_only=True)[sheet]
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    ids = rows[0][1:]
    want = {}
    for row in rows[1:]:
        day = row[0]
        if day is None:
            continue
        period = "%04d-Q%d" % (day.year, (day.month - 1) // 3 + 1)
        for sid, v in zip(ids, row[1:]):
            if v is not None:
                want[(sid, period)] = float(v)
    got = {}
    with open(records, encoding="utf-8") as f:
        for line in f:
            ind, period, value = line.rstrip("\n").split("\t")
            if (ind, period) in got:
                print("duplicate record", ind, period)
                return 1
            got[(ind, period)] = float(value)
    bad = 0
    for key, v in want.items():
        if key not in got:
            print("missing", key)
            bad += 1
        elif abs(got[key] - v) > 1e-9 * max(1.0, abs(v)):
            print("differs", key, got[key], v)
            bad += 1
    for key in got:
        if key not in want:
            print("extra", key)
            bad += 1
    print("compared %d values" % len(want))
    return 1 if bad else 0


sys.exit(main())
