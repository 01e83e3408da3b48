#!/usr/bin/env python3
"""real_corpus.py - the expectations of test_real_corpus.sh, worked out from
the real agency payloads in ../shared/real with Python's own parsers
(xml.etree, csv, json, zipfile), independently of parkstat's readers.

  real_corpus.py prepare REAL_DIR TMP   writes TMP/config.json (one source per
                                        file, every unit and indicator the file
                                        has) and TMP/expect.json
  real_corpus.py check TMP              compares TMP/p.db with TMP/expect.json
  real_corpus.py statuses REAL FILE TSV compares the records parkstat's reader
                                        wrote to TSV (unit, indicator, period,
                                        missing, status; test_format_status_real)
                                        with FILE's as Python reads them

Table-driven: ROWS has one row per file with the reader its README names and
the mapping written for it; the counts of the README (obs, non-empty) are
checked against what Python counts, then stored (missing values too, as NULL),
missing and rejected counts and three spot values (first, middle, last)
against the database, with their observation status (OBS_STATUS) once the
database keeps one.
"""
import csv
import datetime
import json
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET
import zipfile
from decimal import ROUND_HALF_UP, Decimal

# file, format, mapping, README's count of obs (or rows / datanodes), README's
# count of non-empty values (None where the README gives none).
ROWS = [
    ("ecb_exr_M.USD.EUR.SP00.A_generic21.xml", "sdmxml",
     {"unit_dimension": "CURRENCY",
      "indicator": "{FREQ}.{CURRENCY_DENOM}.{EXR_TYPE}.{EXR_SUFFIX}"}, 252, 252),
    ("insee_IPI-2010-A21_generic21.xml", "sdmxml",
     {"unit": {"const": "FR"}, "indicator": "{FREQ}.{PRODUIT}.{NATURE}"}, 3230, 3230),
    ("insee_CNA-2010-CONSO-SI-A17_generic21.xml", "sdmxml",
     {"unit_dimension": "REF_AREA",
      "indicator": "{SECT-INST}.{OPERATION}.{PRODUIT}.{PRIX}"}, 2, None),
    ("bis_BIS_DER_generic21.xml", "sdmxml",
     {"unit_dimension": "DER_REP_CTY",
      "indicator": "{FREQ}.{DER_TYPE}.{DER_INSTR}.{DER_RISK}.{DER_SECTOR_CPY}.{DER_CPC}."
                   "{DER_SECTOR_UDL}.{DER_CURR_LEG1}.{DER_CURR_LEG2}.{DER_ISSUE_MAT}."
                   "{DER_RATING}.{DER_EX_METHOD}.{DER_BASIS}"}, 1000, 360),
    ("estat_NRG_BAL_S_ss21.xml", "sdmxml",
     {"unit_dimension": "GEO", "indicator": "{siec}.{unit}.{nrg_bal}.{freq}"}, 33, None),
    ("estat_NAMA_10_GDP_ss21.xml", "sdmxml",
     {"unit_dimension": "geo", "indicator": "{na_item}.{unit}"}, 4, None),
    ("istat_22_289_DCIS_POPRES1_ss21.xml", "sdmxml",
     {"unit_dimension": "REF_AREA",
      "indicator": "{FREQ}.{DATA_TYPE}.{SEX}.{AGE}.{MARITAL_STATUS}"}, 8, None),
    ("wb_WITS_TRAINS_generic21.xml", "sdmxml",
     {"unit_dimension": "REPORTER", "indicator": "{DATATYPE}.{PRODUCTCODE}.{PARTNER}"}, 1, None),
    ("ecb_exr_ng-ts_ss21_sample.xml", "sdmxml",
     {"unit_dimension": "CURRENCY", "indicator": "{CURRENCY_DENOM}.{EXR_TYPE}.{EXR_VAR}"},
     12, None),
    ("ecb_exr_ss30.xml", "sdmxml",
     {"unit_dimension": "CURRENCY", "indicator": "{CURRENCY_DENOM}.{EXR_TYPE}.{EXR_SUFFIX}"},
     116, None),
    ("bis_WEBSTATS_DER_sdmxcsv10.csv", "sdmxcsv",
     {"unit_dimension": "DER_REP_CTY",
      "indicator": "{FREQ}.{DER_TYPE}.{DER_INSTR}.{DER_RISK}.{DER_SECTOR_CPY}.{DER_CPC}."
                   "{DER_SECTOR_UDL}.{DER_CURR_LEG1}.{DER_CURR_LEG2}.{DER_ISSUE_MAT}."
                   "{DER_RATING}.{DER_EX_METHOD}.{DER_BASIS}"}, 1000, None),
    ("bis_BIS_DER_sdmxcsv20.csv", "sdmxcsv",
     {"unit_dimension": "DER_REP_CTY",
      "indicator": "{FREQ}.{DER_TYPE}.{DER_INSTR}.{DER_RISK}.{DER_SECTOR_CPY}.{DER_CPC}."
                   "{DER_SECTOR_UDL}.{DER_CURR_LEG1}.{DER_CURR_LEG2}.{DER_ISSUE_MAT}."
                   "{DER_RATING}.{DER_EX_METHOD}.{DER_BASIS}"}, 20, None),
    ("nbs_hgyd_A020101_2024_monthly.json", "nbs", {"unit": {"const": "CN"}}, 12, 10),
    ("nbs_fsyd_A01010101_reg_monthly.json", "nbs", {}, 403, 0),
    ("abs_6202021.xlsx", "xlsx",
     {"layout": "wide", "sheet": "Data1", "header_row": 10, "columns": "indicator",
      "unit": {"const": "AUS"}, "period": "Series ID", "date_period": "quarter"}, 1036, 1036),
]

# Files of the folder with no row yet, and why.
PENDING = {}

FREQ_CHAR = {"A": "Y", "S": "H", "Q": "Q", "M": "M"}


def local(tag):
    return tag.rsplit("}", 1)[-1]


def period(text, freq):
    """Canonical period text for the forms these files use; anything else is
    an error of the test, not guessed."""
    t = text.strip()
    if len(t) == 4 and t.isdigit():
        return t
    if len(t) == 7 and t[4] == "-" and t[5:].isdigit():
        return t
    if len(t) == 7 and t[4:6] == "-Q":
        return t
    if len(t) == 6 and t.isdigit():  # NBS 202401
        return t[:4] + "-" + t[4:]
    raise SystemExit(f"real_corpus.py: period {text!r} (FREQ {freq}) not handled by the test")


def get(comps, ident):
    for levels in comps:
        for k, v in levels.items():
            if k.lower() == ident.lower():
                return v
    return None


def codes(mapping, comps):
    unit = mapping["unit"]["const"] if "unit" in mapping else get(comps, mapping["unit_dimension"])
    tmpl, out, i = mapping["indicator"], "", 0
    while i < len(tmpl):
        if tmpl[i] == "{":
            j = tmpl.index("}", i)
            v = get(comps, tmpl[i + 1:j])
            if v is None:
                raise SystemExit(f"real_corpus.py: no component {tmpl[i + 1:j]}")
            out += v
            i = j + 1
        else:
            out += tmpl[i]
            i += 1
    return unit, out


def value(text, comps):
    """None for missing; else the number with DECIMALS then UNIT_MULT."""
    if text is None or text.strip() in ("", "NaN"):
        return None
    v = float(text)
    dec, mult = get(comps, "DECIMALS"), get(comps, "UNIT_MULT")
    if dec not in (None, ""):
        # half away from zero, on the text as written
        q = Decimal(text.strip()).quantize(Decimal(1).scaleb(-int(dec)), rounding=ROUND_HALF_UP)
        v = float(q)
    if mult not in (None, ""):
        v = v * 10 ** int(mult) if int(mult) >= 0 else v / 10 ** -int(mult)
    return v


def status(comps):
    """The OBS_STATUS component, None when absent or empty."""
    s = get(comps, "OBS_STATUS")
    return s.strip() if s is not None and s.strip() else None


def sdmxml_records(path, mapping):
    """(unit, indicator, freq, period, value-or-None, status-or-None) per
    <Obs>, in order."""
    out = []
    ds, series, generic = {}, {}, False
    root = ET.parse(path).getroot()
    generic = local(root.tag).startswith("Generic")
    for dset in root:
        if local(dset.tag) != "DataSet":
            continue
        ds = {}
        for child in dset:
            name = local(child.tag)
            if name == "Attributes":
                ds.update({v.get("id"): v.get("value") for v in child})
            if name != "Series":
                continue
            series = {k: v for k, v in child.attrib.items() if "}" not in k}
            for part in child:
                if local(part.tag) in ("SeriesKey", "Attributes"):
                    series.update({v.get("id"): v.get("value") for v in part})
            for obs in child:
                if local(obs.tag) != "Obs":
                    continue
                o = {k: v for k, v in obs.attrib.items() if "}" not in k}
                if generic:
                    for part in obs:
                        n = local(part.tag)
                        if n == "ObsDimension":
                            o["TIME_PERIOD"] = part.get("value")
                        elif n == "ObsValue":
                            o["OBS_VALUE"] = part.get("value")
                        elif n == "Attributes":
                            o.update({v.get("id"): v.get("value") for v in part})
                comps = [o, series, ds]
                unit, ind = codes(mapping, comps)
                freq = get(comps, "FREQ")
                out.append((unit, ind, FREQ_CHAR[freq], period(get(comps, "TIME_PERIOD"), freq),
                            value(get(comps, "OBS_VALUE"), comps), status(comps)))
    return out


def sdmxcsv_records(path, mapping):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            comps = [row]
            unit, ind = codes(mapping, comps)
            freq = row["FREQ"]
            out.append((unit, ind, FREQ_CHAR[freq], period(row["TIME_PERIOD"], freq),
                        value(row["OBS_VALUE"], comps), status(comps)))
    return out


def nbs_records(path, mapping):
    out = []
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for node in doc["returndata"]["datanodes"]:
        wds = {w["wdcode"]: w["valuecode"] for w in node["wds"]}
        unit = wds.get("reg") or mapping.get("unit", {}).get("const")
        v = float(node["data"]["data"]) if node["data"]["hasdata"] else None
        out.append((unit, wds["zb"], "M", period(wds["sj"], "M"), v, None))
    return out


XLSX_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
           "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
           "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


def xlsx_cells(path, sheet):
    """{row number: {column letters: text}} of a sheet, read with zipfile and
    xml.etree (shared strings resolved, numbers as written)."""
    with zipfile.ZipFile(path) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rid = next(s.get("{%s}id" % XLSX_NS["r"]) for s in wb.iter("{%s}sheet" % XLSX_NS["m"])
                   if s.get("name") == sheet)
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        strings = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")):
                strings.append("".join(t.text or "" for t in si.iter("{%s}t" % XLSX_NS["m"])))
        rows = {}
        for row in ET.fromstring(z.read("xl/" + target.lstrip("/"))).iter(
                "{%s}row" % XLSX_NS["m"]):
            cells = rows.setdefault(int(row.get("r")), {})
            for c in row:
                v = c.find("m:v", XLSX_NS)
                if v is None:
                    continue
                col = "".join(ch for ch in c.get("r") if ch.isalpha())
                cells[col] = strings[int(v.text)] if c.get("t") == "s" else v.text
    return rows


def xlsx_records(path, mapping):
    """A wide sheet: the period column holds date serials (the quarter's last
    month), every other column of the header row one series."""
    rows = xlsx_cells(path, mapping["sheet"])
    header = rows[mapping["header_row"]]
    pcol = next(c for c, t in header.items() if t == mapping["period"])
    out = []
    for r in sorted(n for n in rows if n > mapping["header_row"]):
        cells = rows[r]
        day = datetime.date(1899, 12, 30) + datetime.timedelta(days=int(float(cells[pcol])))
        per = "%04d-Q%d" % (day.year, (day.month - 1) // 3 + 1)
        for col in sorted(header, key=lambda c: (len(c), c)):
            if col != pcol:
                v = cells.get(col)
                out.append((mapping["unit"]["const"], header[col], "Q", period(per, "Q"),
                            float(v) if v not in (None, "") else None, None))
    return out


READERS = {"sdmxml": sdmxml_records, "sdmxcsv": sdmxcsv_records, "nbs": nbs_records,
           "xlsx": xlsx_records}


def prepare(real, tmp):
    files = sorted(f for f in os.listdir(real) if f != "README.md")
    listed = {r[0] for r in ROWS} | set(PENDING)
    unknown = [f for f in files if f not in listed]
    if unknown:
        raise SystemExit(f"real_corpus.py: no row for {unknown}: add one to ROWS")
    units, indicators, sources, expect = {}, [], [], []
    year = datetime.date.today().year - 1
    for n, (name, fmt, mapping, n_obs, n_nonempty) in enumerate(ROWS):
        recs = READERS[fmt](os.path.join(real, name), mapping)
        if len(recs) != n_obs:
            raise SystemExit(f"{name}: Python counts {len(recs)} records, the README {n_obs}")
        full = [r for r in recs if r[4] is not None]
        if n_nonempty is not None and len(full) != n_nonempty:
            raise SystemExit(f"{name}: Python counts {len(full)} values, the README "
                             f"{n_nonempty}")
        # missing values are stored too (NULL, never 0), and count as keys
        keys = {}
        for r in recs:
            keys.setdefault((r[0], r[1], r[3]), []).append(r)
        rejected = sum(len(v) for v in keys.values() if len(v) > 1)
        once = [v[0] for v in keys.values() if len(v) == 1]
        stored = [r for r in once if r[4] is not None]
        codes_map = {}
        for r in recs:
            units[r[0]] = True
            if r[1] not in codes_map:
                code = f"r{n:02d}_i{len(codes_map):03d}"
                codes_map[r[1]] = code
                indicators.append({"code": code, "name": f"{name} {r[1]}", "frequency": r[2],
                                   "kind": "stock"})
        src = {"id": f"r{n:02d}", "url": "file://" + os.path.join(real, name), "format": fmt,
               "frequency": "Y", "first_period": str(year), "codes": codes_map}
        if mapping:
            src["mapping"] = mapping
        sources.append(src)
        spots = [stored[0], stored[len(stored) // 2], stored[-1]] if stored else []
        expect.append({"source": src["id"], "file": name, "stored": len(once),
                       "missing": len(once) - len(stored), "rejected": rejected,
                       "spots": [[s[0], codes_map[s[1]], s[3], s[4], s[5]] for s in spots],
                       "statuses": sum(1 for r in stored if r[5] is not None),
                       "missing_statuses": sum(1 for r in once
                                               if r[4] is None and r[5] is not None)})
    cfg = {"database": os.path.join(tmp, "p.db"),
           "units": [{"id": u, "name": u} for u in sorted(units)],
           "indicators": indicators, "sources": sources}
    with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(tmp, "expect.json"), "w", encoding="utf-8") as f:
        json.dump({"rows": expect, "pending": PENDING}, f, indent=1)


def check(tmp):
    with open(os.path.join(tmp, "expect.json"), encoding="utf-8") as f:
        exp = json.load(f)
    db = sqlite3.connect(os.path.join(tmp, "p.db"))
    # the observation status, checked once the store keeps it (schema 8)
    has_status = "status" in [c[1] for c in db.execute("PRAGMA table_info(observation)")]
    bad = 0
    for row in exp["rows"]:
        runs = db.execute("SELECT outcome, n_new, n_rejected, error FROM run WHERE source = ?",
                          (row["source"],)).fetchall()
        problems = []
        if len(runs) != 1:
            problems.append(f"{len(runs)} runs, want 1")
        else:
            outcome, n_new, n_rej, error = runs[0]
            if outcome != "ok":
                problems.append(f"outcome {outcome} ({error})")
            if n_new != row["stored"]:
                problems.append(f"stored {n_new}, want {row['stored']}")
            if n_rej != row["rejected"]:
                problems.append(f"rejected {n_rej}, want {row['rejected']}")
            n_missing = db.execute(
                "SELECT count(*) FROM observation o JOIN run r ON r.id = o.run_id"
                " WHERE r.source = ? AND o.value IS NULL", (row["source"],)).fetchone()[0]
            if n_missing != row["missing"]:
                problems.append(f"missing {n_missing}, want {row['missing']}")
        for unit, ind, per, want, want_status in row["spots"]:
            got = db.execute(
                "SELECT o.value, %s FROM observation o JOIN unit u ON u.id = o.unit_id"
                " JOIN indicator i ON i.id = o.indicator_id WHERE u.code = ? AND i.code = ?"
                " AND o.period = ? AND o.valid_to IS NULL" % ("o.status" if has_status else "NULL"),
                (unit, ind, per)).fetchall()
            if len(got) != 1 or abs(got[0][0] - want) > 1e-9 * max(1.0, abs(want)):
                problems.append(f"{unit} {ind} {per}: {got}, want {want}")
            elif has_status and got[0][1] != want_status:
                problems.append(f"{unit} {ind} {per}: status {got[0][1]!r}, want {want_status!r}")
        if has_status and row["statuses"]:
            prefix = row["source"] + "_"
            n = db.execute("SELECT count(*) FROM observation o JOIN indicator i"
                           " ON i.id = o.indicator_id WHERE substr(i.code, 1, ?) = ?"
                           " AND o.status IS NOT NULL AND o.value IS NOT NULL"
                           " AND o.valid_to IS NULL", (len(prefix), prefix)).fetchone()[0]
            if n != row["statuses"]:
                problems.append(f"{n} values with a status, want {row['statuses']}")
        if has_status and len(runs) == 1:
            # a missing value keeps its status (BIS: OBS_STATUS "M" without a value)
            n = db.execute("SELECT count(*) FROM observation o JOIN run r ON r.id = o.run_id"
                           " WHERE r.source = ? AND o.value IS NULL AND o.status IS NOT NULL",
                           (row["source"],)).fetchone()[0]
            if n != row["missing_statuses"]:
                problems.append(f"{n} missing values with a status, want "
                                f"{row['missing_statuses']}")
        verdict = "ok" if not problems else "FAIL: " + "; ".join(problems)
        print(f"{row['file']}: stored {row['stored']} ({row['missing']} missing), "
              f"rejected {row['rejected']}, "
              f"{len(row['spots'])} spot values"
              f"{', %d statuses' % row['statuses'] if has_status else ''}"
              f"{', %d on missing' % row['missing_statuses'] if has_status else ''}: {verdict}")
        bad += bool(problems)
    for name, why in exp["pending"].items():
        print(f"{name}: not checked: {why}")
    return 1 if bad else 0


def statuses(real, name, tsv):
    """Compares parkstat's records of file name (TSV lines: unit, indicator,
    period or "", missing 0/1, status or "") with Python's, one by one."""
    row = next((r for r in ROWS if r[0] == name), None)
    if row is None:
        raise SystemExit(f"real_corpus.py: no row for {name}")
    recs = READERS[row[1]](os.path.join(real, name), row[2])
    with open(tsv, encoding="utf-8") as f:
        got = [line.rstrip("\n").split("\t") for line in f]
    want = [[r[0], r[1], r[3], "1" if r[4] is None else "0", r[5] or ""] for r in recs]
    if len(got) != len(want):
        print(f"{name}: parkstat read {len(got)} records, Python {len(want)}")
        return 1
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            print(f"{name}: record {i + 1}: parkstat {g}, Python {w}")
            return 1
    counts = {}
    for w in want:
        counts[w[4]] = counts.get(w[4], 0) + 1
    print(f"{name}: {len(want)} records, statuses "
          + ", ".join(f"{k or 'none'}: {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "statuses":
        sys.exit(statuses(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        sys.exit(check(sys.argv[2]))
