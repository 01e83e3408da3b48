#!/usr/bin/env python3
"""compute_gen.py - synthetic store data for bench/compute.sh (numbers invented).

    python3 bench/compute_gen.py DIR NUNITS NIND FREQ

Writes DIR/config.json (a root "all" with NUNITS units below it, NIND stock
indicators of frequency FREQ, one index "bench": min-max, arithmetic, five
dimensions) and DIR/data.csv: every unit x indicator x period, 40 quarters
2016-Q1 .. 2025-Q4 for Q, 12 months of 2025 for M; about 1 % left out.
"""
import json
import os
import random
import sys


def main():
    out, nu, nl, freq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20251125)
    if freq == "Q":
        periods = ["%d-Q%d" % (y, q) for y in range(2016, 2026) for q in range(1, 5)]
    else:
        periods = ["2025-%02d" % m for m in range(1, 13)]
    units = [{"id": "all", "name": "All"}]
    units += [{"id": "u%05d" % i, "name": "Unit %d" % i, "parent": "all"} for i in range(nu)]
    inds = [{"code": "i%02d" % l, "name": "Indicator %d" % l, "frequency": freq, "kind": "stock",
             "direction": -1 if l % 7 == 3 else 1} for l in range(nl)]
    dims = [{"id": "d%d" % k, "weight": 1 + k % 3,
             "children": [{"indicator": "i%02d" % l, "weight": 0.5 + rng.random()}
                          for l in range(nl) if l % 5 == k]} for k in range(5)]
    index = {"id": "bench", "frequency": freq, "units": "children:all",
             "method": {"normalise": "minmax", "aggregate": "arithmetic", "missing": "reweight"},
             "tree": dims}
    cfg = {"database": "bench.db", "units": units, "indicators": inds, "indices": [index]}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f)
    with open(os.path.join(out, "data.csv"), "w") as f:
        f.write("unit,indicator,period,value\n")
        for i in range(nu):
            for l in range(nl):
                level = 50 + 10 * (i % 17) + l
                for p, per in enumerate(periods):
                    if rng.random() < 0.01:
                        continue
                    v = level * (1 + 0.01 * p) * (0.8 + 0.4 * rng.random())
                    f.write("u%05d,i%02d,%s,%.4f\n" % (i, l, per, v))


if __name__ == "__main__":
    main()
