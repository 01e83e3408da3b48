#!/usr/bin/env python3
"""compute_numpy.py - the independent numpy half of bench/compute: the same
min-max normalisation (direction, zero range -> 50), arithmetic aggregation
with weights renormalised over present children, competition ranks among
siblings (ties share the minimum rank) and contributions to the change of the
total since the previous period (w_eff1 y1 - w_eff0 y0), vectorised over all
units, from the file bench_compute_inmem writes (format in compute_inmem.c).

    /usr/bin/python3 bench/compute_numpy.py IN.bin C_OUT.bin [REPEAT]

Prints the numpy time (median and min of REPEAT runs, ms) and the largest
absolute difference from the C output (NAN positions must agree), and exits 1
when it exceeds 1e-9.
"""
import sys
import time

import numpy as np


def read_input(path):
    with open(path, "rb") as f:
        if f.read(4) != b"PSCB":
            raise SystemExit("bad magic")
        nu, nl, np_, ng, ndim = np.fromfile(f, dtype=np.int32, count=5)
        dimw = np.fromfile(f, dtype=np.float64, count=ndim)
        dim_of = np.fromfile(f, dtype=np.int32, count=nl)
        leafw = np.fromfile(f, dtype=np.float64, count=nl)
        direction = np.fromfile(f, dtype=np.int32, count=nl)
        group = np.fromfile(f, dtype=np.int32, count=nu)
        x = np.fromfile(f, dtype=np.float64, count=np_ * nu * nl).reshape(np_, nu, nl)
    return dict(nu=nu, nl=nl, np=np_, ng=ng, ndim=ndim, dimw=dimw, dim_of=dim_of,
                leafw=leafw, dir=direction, group=group, x=x)


def minmax(x, direction):
    """(x - min) / (max - min) x 100 per period and indicator; -1: 100 - that."""
    lo = np.nanmin(x, axis=1, keepdims=True)
    hi = np.nanmax(x, axis=1, keepdims=True)
    rng = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(rng > 0, (x - lo) / np.where(rng > 0, rng, 1) * 100.0, 50.0)
    y = np.where(direction[None, None, :] < 0, 100.0 - y, y)
    return np.where(np.isnan(x), np.nan, y)


def wmean(v, w):
    """Weighted mean over the last axis, weights renormalised over present values."""
    present = ~np.isnan(v)
    sw = (present * w).sum(axis=-1)
    s = np.where(present, v, 0.0) @ w if v.ndim else 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sw > 0, s / np.where(sw > 0, sw, 1), np.nan), present, sw


def aggregate(d, y):
    dims = np.empty(y.shape[:2] + (d["ndim"],))
    leaf_share = np.zeros_like(y)  # leaf weight / present sibling weight
    for k in range(d["ndim"]):
        cols = np.nonzero(d["dim_of"] == k)[0]
        w = d["leafw"][cols]
        m, present, sw = wmean(y[:, :, cols], w)
        dims[:, :, k] = m
        with np.errstate(invalid="ignore", divide="ignore"):
            leaf_share[:, :, cols] = np.where(present, w / sw[..., None], 0.0)
    total, dpresent, dsw = wmean(dims, d["dimw"])
    with np.errstate(invalid="ignore", divide="ignore"):
        dim_share = np.where(dpresent, d["dimw"] / dsw[..., None], 0.0)
    weff = leaf_share * dim_share[:, :, d["dim_of"]]
    return total, dims, weff


def ranks(d, total):
    """1 + number of siblings with a higher score; NAN not ranked."""
    rank = np.full(total.shape, np.nan)
    for g in range(d["ng"]):
        idx = np.nonzero(d["group"] == g)[0]
        s = total[:, idx]
        for p in range(s.shape[0]):
            v = s[p]
            ok = ~np.isnan(v)
            a = np.sort(v[ok])
            r = np.full(v.shape, np.nan)
            r[ok] = len(a) - np.searchsorted(a, v[ok], side="right") + 1
            rank[p, idx] = r
    return rank


def contributions(total, y, weff):
    c = np.full(y.shape, np.nan)
    t1 = np.where(weff[1:] > 0, weff[1:] * np.nan_to_num(y[1:]), 0.0)
    t0 = np.where(weff[:-1] > 0, weff[:-1] * np.nan_to_num(y[:-1]), 0.0)
    both = ~np.isnan(total[1:]) & ~np.isnan(total[:-1])
    c[1:] = np.where(both[..., None], t1 - t0, np.nan)
    return c


def compute(d):
    y = minmax(d["x"], d["dir"])
    total, dims, weff = aggregate(d, y)
    return total, dims, ranks(d, total), contributions(total, y, weff)


def main():
    d = read_input(sys.argv[1])
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = compute(d)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    pu = d["np"] * d["nu"]
    c = np.fromfile(sys.argv[2], dtype=np.float64)
    sizes = [pu, pu * d["ndim"], pu, pu * d["nl"]]
    worst, off = 0.0, 0
    for a, n in zip(out, sizes):
        b = c[off:off + n]
        off += n
        a = a.reshape(-1)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            print("numpy_ms_median %.3f nan_mismatch 1" % times[len(times) // 2])
            return 1
        ok = ~np.isnan(a)
        if ok.any():
            worst = max(worst, float(np.max(np.abs(a[ok] - b[ok]))))
    print("numpy_ms_median %.3f numpy_ms_min %.3f max_abs_diff %.3g"
          % (times[len(times) // 2], times[0], worst))
    return 0 if worst <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
