#!/usr/bin/env python3
"""gen_demo_data.py - writes the SYNTHETIC demo data of examples/demo/data/.

Dev-time only: the generated CSV files are committed, so users never need
Python. Every number is invented (seeded RNG, deterministic): 15 parks of a
fictitious city, 2021-01 .. 2025-12, in long format `unit,indicator,period,value`.

  python3 scripts/gen_demo_data.py [OUT_DIR]     (default examples/demo/data)

What the numbers imitate (torch-statistics practice, 火炬统计):
- monthly flows are published as year-to-date cumulative values (累计值), and
  January is not published on its own: the first value of a year is the
  Jan-Feb cumulative, labelled February;
- seasonality (Spring Festival dip in Jan-Feb, quarter ends and December high),
  per-park scale, per-park growth trend of 6-15 % a year with noise and common
  shocks (a weak 2022);
- quarterly flows (R&D, patents, energy) and quarter-end stocks (firm counts,
  employees), yearly stocks (incubators, listed firms, built-up area).
It also writes revision_2025-11.csv: a later vintage of a handful of 2025
values, to demonstrate revisions ("as of" queries) in the demo.

The monthly and quarterly files have a fifth column `status`: the latest month
(2025-12) and the latest quarter (2025-Q4) are provisional, "p", as a first
release is; earlier periods have none (an empty field).
"""

import os
import random
import sys

SEED = 20211231
YEARS = range(2021, 2026)

# Share of the annual total by month (sums to 1): Spring Festival dip, quarter ends up.
STEADY = [.060, .050, .085, .080, .082, .092, .078, .080, .090, .080, .095, .128]
# Investment is back-loaded; technology contracts are mostly registered in December.
INVEST = [.040, .040, .075, .075, .085, .100, .080, .085, .095, .090, .105, .130]
YEAREND = [.030, .030, .060, .060, .065, .090, .065, .070, .095, .080, .110, .245]
FIRMS = [.060, .045, .110, .090, .090, .085, .080, .080, .085, .085, .090, .100]
# Common shocks to every park's annual growth (2021 is the base year).
SHOCK = {2021: 0.0, 2022: -0.05, 2023: 0.01, 2024: 0.0, 2025: -0.01}

# id: (2021 revenue in 亿元, is_industrial, special)
PARKS = {
    "p01": (3800, True, ""), "p02": (1250, False, "software"),
    "p03": (620, True, "bio"), "p04": (1900, True, ""),
    "p05": (540, False, "software"), "p06": (780, True, ""),
    "p07": (430, True, ""), "p08": (360, True, ""),
    "p09": (1450, True, "export"), "p10": (980, True, ""),
    "p11": (410, False, "software"), "p12": (520, True, "bonded"),
    "p13": (150, False, "university"), "p14": (230, True, ""),
    "p15": (690, True, ""),
}


def park_params(rng, pid):
    base, industrial, special = PARKS[pid]
    p = {
        "base": base,
        "trend": rng.uniform(0.06, 0.15),
        "output": rng.uniform(0.55, 0.85) if industrial else rng.uniform(0.12, 0.30),
        "va": rng.uniform(0.22, 0.30),
        "profit": rng.uniform(0.05, 0.11),
        "tax": rng.uniform(0.035, 0.06),
        "exports": rng.uniform(0.06, 0.22),
        "fdi": rng.uniform(0.004, 0.012),
        "invest": rng.uniform(0.08, 0.22),
        "contracts": rng.uniform(0.02, 0.07),
        "firms": rng.uniform(0.25, 0.6),
        "rd": rng.uniform(0.025, 0.055),
        "patents": rng.uniform(0.25, 0.6),
        "energy": rng.uniform(0.04, 0.15) if industrial else rng.uniform(0.01, 0.03),
        "hightech": rng.uniform(0.25, 0.5),
        "smes": rng.uniform(1.3, 2.0),
        "per_capita": rng.uniform(120, 250),  # 万元 of revenue per employee
        "rd_share": rng.uniform(0.10, 0.22),
        "incubators": rng.randint(3, 25),
        "listed": rng.randint(2, 30),
        "land": rng.uniform(10, 120),
    }
    if special in ("software", "university", "bio"):
        p["rd"] *= 1.6
        p["rd_share"] *= 1.5
    if special == "university":
        p["contracts"] = 0.15
    if special in ("export", "bonded"):
        p["exports"] = rng.uniform(0.35, 0.5)
    return p


def annual_totals(rng, p):
    """Annual revenue by year: trend growth with noise and common shocks."""
    out, level = {}, p["base"] * rng.uniform(0.97, 1.03)
    for y in YEARS:
        if y > YEARS[0]:
            level *= 1 + p["trend"] + SHOCK[y] + rng.gauss(0, 0.02)
        out[y] = level
    return out


def monthly_flows(rng, total, shares, noise):
    """Twelve positive monthly flows that sum to total (noisy shares)."""
    w = [s * max(0.3, 1 + rng.gauss(0, noise)) for s in shares]
    k = total / sum(w)
    return [x * k for x in w]


def cumulative_rows(rng, pid, code, totals, shares, noise):
    """Year-to-date values, February (Jan-Feb) to December of each year."""
    rows = []
    for y, total in totals.items():
        flows = monthly_flows(rng, total, shares, noise)
        ytd = 0.0
        for m in range(1, 13):
            ytd += flows[m - 1]
            if m >= 2:
                rows.append((pid, code, f"{y}-{m:02d}", round(ytd, 2)))
    return rows


def quarter_revenue(totals, y, q):
    return totals[y] * sum(STEADY[3 * (q - 1):3 * q])


def monthly_park(rng, pid, p, rev):
    """All monthly indicators of one park."""
    spec = [  # code, ratio to revenue, shares, monthly noise
        ("revenue", 1.0, STEADY, 0.04), ("industrial_output", p["output"], STEADY, 0.05),
        ("industrial_value_added", p["output"] * p["va"], STEADY, 0.05),
        ("profit", p["profit"], STEADY, 0.15), ("tax", p["tax"], STEADY, 0.10),
        ("exports", p["exports"], STEADY, 0.08), ("fdi", p["fdi"] / 7.0, STEADY, 0.35),
        ("fixed_investment", p["invest"], INVEST, 0.12),
        ("tech_contracts", p["contracts"], YEAREND, 0.15),
    ]
    rows = []
    for code, ratio, shares, noise in spec:
        # Each ratio drifts a little from year to year (a random walk).
        totals, drift = {}, 1.0
        for y in YEARS:
            totals[y] = rev[y] * ratio * drift
            drift *= 1 + (rng.gauss(0, 0.04) if code != "revenue" else 0)
        rows += cumulative_rows(rng, pid, code, totals, shares, noise)
    for y in YEARS:  # new registrations: a monthly flow, not cumulative, every month
        flows = monthly_flows(rng, rev[y] * p["firms"], FIRMS, 0.1)
        rows += [(pid, "new_firms", f"{y}-{m:02d}", round(flows[m - 1])) for m in range(1, 13)]
    return rows


def quarterly_park(rng, pid, p, rev):
    """Quarterly flows (R&D, patents, energy) and quarter-end stocks."""
    rows, qf = [], [0.85, 0.95, 0.95, 1.25]
    ht0, emp0 = p["base"] * p["hightech"], p["base"] * 1e4 / p["per_capita"]
    for y in YEARS:
        t = y - YEARS[0]
        for q in range(1, 5):
            per, rq, tq = f"{y}-Q{q}", quarter_revenue(rev, y, q), t + (q - 1) / 4
            rd = rq * (p["rd"] + 0.001 * tq) * qf[q - 1] * (1 + rng.gauss(0, 0.05))
            pat = rev[y] / 4 * p["patents"] * qf[q - 1] * (1 + rng.gauss(0, 0.12))
            energy = rq * p["energy"] * 0.96 ** tq * (1 + rng.gauss(0, 0.04))
            ht = ht0 * (1 + 0.5 * p["trend"]) ** (t + (1 if q == 4 else 0))
            smes = ht0 * p["smes"] * 1.08 ** (t + (0.5 if q >= 2 else 0))
            emp = emp0 * (1 + 0.5 * p["trend"]) ** tq * (1 + rng.gauss(0, 0.005))
            staff = emp * (p["rd_share"] + 0.004 * tq)
            rows += [(pid, "rd_expense", per, round(rd, 2)),
                     (pid, "patents", per, round(max(pat, 1))),
                     (pid, "energy", per, round(energy, 2)),
                     (pid, "hightech_firms", per, round(ht)),
                     (pid, "tech_smes", per, round(smes)),
                     (pid, "employees", per, round(emp)),
                     (pid, "rd_staff", per, round(staff))]
    return rows


def yearly_park(rng, pid, p):
    rows, inc, listed, land = [], p["incubators"], p["listed"], p["land"]
    for y in YEARS:
        if y > YEARS[0]:
            inc += rng.randint(0, 3)
            listed += rng.randint(0, 4)
            land *= 1 + rng.uniform(0, 0.02)
        rows += [(pid, "incubators", str(y), inc), (pid, "listed_firms", str(y), listed),
                 (pid, "land_area", str(y), round(land, 2))]
    return rows


def fmt(v):
    return str(v) if isinstance(v, int) else f"{v:.2f}"


# The latest periods are a first release: provisional (Eurostat flag "p").
PROVISIONAL = {"2025-12", "2025-Q4"}


def write(path, rows, status=False):
    """Long CSV; with status, a fifth column: "p" for PROVISIONAL periods."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("unit,indicator,period,value" + (",status" if status else "") + "\n")
        for u, i, per, v in rows:
            tail = ("," + ("p" if per in PROVISIONAL else "")) if status else ""
            f.write(f"{u},{i},{per},{fmt(v)}{tail}\n")


def check_monotone(rows):
    """Year-to-date series must not fall within a year."""
    last = {}
    for u, i, per, v in rows:
        if len(per) == 7 and per[4] == "-" and per[5] != "Q" and i != "new_firms":
            key = (u, i, per[:4])
            assert v >= last.get(key, 0), (u, i, per, v)
            last[key] = v


def revision(monthly, quarterly):
    """A later vintage of a few 2025 values (the 2025-11 release revises them)."""
    cur = {(u, i, per): v for u, i, per, v in monthly + quarterly}
    changes = [  # key, factor or None for "published again unchanged"
        (("p01", "revenue", "2025-09"), 1.006), (("p01", "revenue", "2025-10"), 1.006),
        (("p03", "tax", "2025-10"), 0.985), (("p09", "exports", "2025-08"), None),
        (("p07", "rd_expense", "2025-Q3"), 1.04), (("p12", "employees", "2025-Q3"), None),
        (("p05", "hightech_firms", "2025-Q2"), None),
    ]
    rows = []
    for key, factor in changes:
        v = cur[key]
        if factor is not None:
            v = round(v * factor, 2)
        elif key[1] == "employees":
            v += 37
        elif key[1] == "hightech_firms":
            v += 3
        rows.append((*key, v))
    merged = dict(cur)
    merged.update({(u, i, per): v for u, i, per, v in rows})
    check_monotone(sorted((*k, v) for k, v in merged.items() if k[1] != "new_firms"))
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "examples", "demo", "data")
    rng = random.Random(SEED)
    monthly, quarterly, yearly = [], [], []
    for pid in PARKS:
        p = park_params(rng, pid)
        rev = annual_totals(rng, p)
        monthly += monthly_park(rng, pid, p, rev)
        quarterly += quarterly_park(rng, pid, p, rev)
        yearly += yearly_park(rng, pid, p)
    check_monotone(monthly)
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "synthetic_monthly.csv"), monthly, status=True)
    write(os.path.join(out, "synthetic_quarterly.csv"), quarterly, status=True)
    write(os.path.join(out, "synthetic_yearly.csv"), yearly)
    write(os.path.join(out, "revision_2025-11.csv"), revision(monthly, quarterly))
    print(f"{out}: {len(monthly)} monthly, {len(quarterly)} quarterly, {len(yearly)} yearly rows")


if __name__ == "__main__":
    main()
