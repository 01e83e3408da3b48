#!/usr/bin/env python3
"""Generates the parkstat form of COINr's ASEM example from its CSV export:
asem.json (51 countries under one root, 49 indicators + 4 denominators, yearly,
period 2018, the index tree of ASEM_iMeta.csv with COINr's example pipeline as
method options) and asem_long.csv (unit,indicator,period,value).

    python3 scripts/gen_asem.py SRC OUT

SRC holds ASEM_iData.csv and ASEM_iMeta.csv (../shared/reference/asem next to
the source tree); both files are written into OUT. The data is COINr's (MIT),
so neither the input nor what is derived from it is committed:
tests/integration/test_asem_cli.sh runs this at test time.
"""
import csv
import json
import os
import sys


def code(icode):
    return icode.lower()


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_asem.py SRC OUT (SRC: the folder of ASEM_iData.csv and ASEM_iMeta.csv)")
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    meta = read_csv(os.path.join(src, "ASEM_iMeta.csv"))
    data = read_csv(os.path.join(src, "ASEM_iData.csv"))
    inds = [m for m in meta if m["Type"] == "Indicator"]
    dens = [m for m in meta if m["Type"] == "Denominator"]
    aggs = {m["iCode"]: m for m in meta if m["Type"] == "Aggregate"}

    units = [{"id": "asem", "name": "ASEM"}]
    for r in data:
        units.append({"id": r["uCode"], "name": r["uName"], "parent": "asem",
                      "attributes": {g: r[g] for g in
                                     ("GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group")}})
    indicators = []
    for m in inds:
        indicators.append({"code": code(m["iCode"]), "name": m["iName"], "frequency": "Y",
                           "kind": "stock", "direction": int(float(m["Direction"])),
                           "decimals": 10})
    for m in dens:
        indicators.append({"code": code(m["iCode"]), "name": m["iName"], "frequency": "Y",
                           "kind": "stock", "decimals": 10})

    def children(parent):
        out = []
        for m in meta:
            if m["Parent"] != parent:
                continue
            w = float(m["Weight"])
            if m["Type"] == "Indicator":
                leaf = {"id": m["iCode"], "indicator": code(m["iCode"]), "weight": w}
                if m["Denominator"]:
                    leaf["denominator"] = code(m["Denominator"])
                out.append(leaf)
            else:
                out.append({"id": m["iCode"], "name": m["iName"], "weight": w,
                            "children": children(m["iCode"])})
        return out

    index = {"id": "Index", "name": aggs["Index"]["iName"], "frequency": "Y",
             "units": "children:asem",
             "method": {"normalise": "minmax", "aggregate": "arithmetic", "missing": "reweight",
                        "impute": {"method": "group_mean", "by": "EurAsia_group"},
                        "screen": 0.9,
                        "outlier": {"winmax": 5, "skew": 2, "kurtosis": 3.5, "limit": "coinr"}},
             "tree": children("Index")}
    cfg = {"database": "asem.db", "units": units, "indicators": indicators, "indices": [index]}
    with open(os.path.join(out, "asem.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(out, "asem_long.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["unit", "indicator", "period", "value"])
        for r in data:
            for m in inds + dens:
                v = r[m["iCode"]]
                if v in ("", "NA"):
                    continue
                w.writerow([r["uCode"], code(m["iCode"]), "2018", repr(float(v))])


if __name__ == "__main__":
    main()
