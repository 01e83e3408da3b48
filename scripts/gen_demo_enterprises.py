#!/usr/bin/env python3
"""gen_demo_enterprises.py - the SYNTHETIC enterprise data set of the demo.

Dev-time only (the outputs are committed). Every number is invented by a seeded
RNG. Writes:
- examples/demo/data/synthetic_enterprises.csv: 1,000 fictitious enterprises
  (e0001 .. e1000, spread over the 15 parks), five yearly indicators for 2024
  and 2025 in long format `unit,indicator,period,value`;
- the enterprise units (attribute "stage": 初创期 / 成长期 / 成熟期) and the five
  enterprise indicators into examples/demo/config.json, replacing any that an
  earlier run wrote (units whose id starts with "e", indicators "ent_*"), and
  the unit list of the "innovation_points" index.

  python3 scripts/gen_demo_enterprises.py
"""

import json
import os
import random

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CONFIG = os.path.join(ROOT, "examples", "demo", "config.json")
CSV = os.path.join(ROOT, "examples", "demo", "data", "synthetic_enterprises.csv")
SEED = 20250101
N = 1000
STAGES = [("初创期", 0.30), ("成长期", 0.45), ("成熟期", 0.25)]

INDICATORS = [
    {"code": "ent_rd_ratio", "name": "企业研发费用占营业收入比重", "measure": "%",
     "frequency": "Y", "kind": "rate", "decimals": 2},
    {"code": "ent_patents", "name": "企业有效发明专利数", "measure": "件", "frequency": "Y",
     "kind": "stock", "decimals": 0},
    {"code": "ent_rd_staff_share", "name": "企业研发人员占比", "measure": "%",
     "frequency": "Y", "kind": "rate", "decimals": 2},
    {"code": "ent_revenue_growth", "name": "企业营业收入增长率", "measure": "%",
     "frequency": "Y", "kind": "rate", "decimals": 2},
    {"code": "ent_hightech", "name": "高新技术企业认定（1 是 0 否）", "measure": "",
     "frequency": "Y", "kind": "stock", "decimals": 0},
]


def stage_of(rng):
    x, acc = rng.random(), 0.0
    for s, p in STAGES:
        acc += p
        if x < acc:
            return s
    return STAGES[-1][0]


def values(rng, stage, year, prev):
    """One enterprise-year; prev carries the slow-moving features."""
    base = {"初创期": 0.6, "成长期": 1.0, "成熟期": 1.2}[stage]
    if prev is None:
        prev = {"rd": max(0.2, rng.lognormvariate(1.4, 0.5) * base),
                "pat": int(rng.lognormvariate(1.2, 1.0) * base * (2 if stage == "成熟期" else 1)),
                "staff": min(80.0, max(2.0, rng.gauss(18, 8) * base)),
                "ht": 1 if rng.random() < {"初创期": .25, "成长期": .55, "成熟期": .8}[stage] else 0}
    cur = {"rd": max(0.1, prev["rd"] * rng.uniform(0.85, 1.2)),
           "pat": prev["pat"] + int(rng.expovariate(1.0) * base * 2),
           "staff": min(85.0, max(1.0, prev["staff"] + rng.gauss(0.5, 2))),
           "ht": prev["ht"] if prev["ht"] or rng.random() > .15 else 1}
    growth = rng.gauss({"初创期": 35, "成长期": 18, "成熟期": 6}[stage], 15)
    return cur, [("ent_rd_ratio", round(cur["rd"], 2)), ("ent_patents", cur["pat"]),
                 ("ent_rd_staff_share", round(cur["staff"], 2)),
                 ("ent_revenue_growth", round(growth, 2)), ("ent_hightech", cur["ht"])]


def compact(o):
    return json.dumps(o, ensure_ascii=False, separators=(", ", ": "))


def dump_node(n, pad):
    """A tree node: a leaf on one line, an inner node with one child a line."""
    if "children" not in n:
        return pad + compact(n)
    head = {k: v for k, v in n.items() if k != "children"}
    inner = ",\n".join(dump_node(c, pad + "  ") for c in n["children"])
    return "%s%s, \"children\": [\n%s\n%s]}" % (pad, compact(head)[:-1], inner, pad)


def dump_index(ix):
    head = {k: v for k, v in ix.items() if k not in ("tree", "units")}
    out = "    " + compact(head)[:-1]
    if isinstance(ix.get("units"), list):
        ids = ix["units"]
        chunks = [", ".join('"%s"' % u for u in ids[i:i + 12]) for i in range(0, len(ids), 12)]
        out += ',\n     "units": [\n       ' + ",\n       ".join(chunks) + "]"
    elif "units" in ix:
        out += ', "units": ' + compact(ix["units"])
    tree = ",\n".join(dump_node(n, "       ") for n in ix["tree"])
    return out + ',\n     "tree": [\n' + tree + "\n     ]}"


def dump(cfg):
    """The config as the demo keeps it: one unit, indicator or source a line."""
    parts = []
    for k, v in cfg.items():
        if k in ("units", "indicators", "sources"):
            body = ",\n".join("    " + compact(o) for o in v)
            parts.append('  "%s": [\n%s\n  ]' % (k, body))
        elif k == "indices":
            parts.append('  "indices": [\n' + ",\n".join(dump_index(ix) for ix in v) + "\n  ]")
        else:
            parts.append('  "%s": %s' % (k, compact(v)))
    return "{\n" + ",\n\n".join(parts) + "\n}\n"


def main():
    rng = random.Random(SEED)
    cfg = json.load(open(CONFIG, encoding="utf-8"))
    parks = [u["id"] for u in cfg["units"] if u.get("parent") == "city"]
    units = [u for u in cfg["units"] if not u["id"].startswith("e")]
    rows = []
    ents = []
    for i in range(1, N + 1):
        uid, stage = "e%04d" % i, stage_of(rng)
        ents.append(uid)
        units.append({"id": uid, "name": "示例企业%04d" % i, "parent": rng.choice(parks),
                      "attributes": {"stage": stage}})
        prev = None
        for year in (2024, 2025):
            prev, vals = values(rng, stage, year, prev)
            rows += [(uid, code, str(year), v) for code, v in vals]
    cfg["units"] = units
    cfg["indicators"] = [i for i in cfg["indicators"] if not i["code"].startswith("ent_")]
    cfg["indicators"] += INDICATORS
    for ix in cfg.get("indices", []):
        if ix["id"] == "innovation_points":
            ix["units"] = ents
    with open(CONFIG, "w", encoding="utf-8") as f:
        f.write(dump(cfg))
    with open(CSV, "w", encoding="utf-8", newline="\n") as f:
        f.write("unit,indicator,period,value\n")
        for r in rows:
            f.write("%s,%s,%s,%s\n" % r)


if __name__ == "__main__":
    main()
