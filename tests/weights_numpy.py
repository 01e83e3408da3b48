#!/usr/bin/python3
"""Derived weights (aggregate/weights.c) against numpy on random matrices.

Usage: weights_numpy.py WEIGHTS_CLI. Each method is recomputed here from its
textbook definition with numpy (np.corrcoef, np.linalg.eigh / eig), independently
of the C code, and must agree to 1e-12. Exits 77 when numpy is missing."""
import subprocess
import sys

try:
    import numpy as np
except ImportError:
    print("numpy is missing (scripts/setup.sh --test installs python3-numpy)")
    sys.exit(77)

cli = sys.argv[1]


def run(method, x):
    m, n = x.shape
    text = f"{method} {m} {n}\n" + "\n".join(" ".join(repr(float(v)) for v in row) for row in x)
    out = subprocess.run([cli], input=text, capture_output=True, text=True, check=True).stdout
    vals = [float(v) for v in out.split()]
    return np.array(vals[:n]), vals[n], vals[n + 1]


def entropy(x):
    p = x / x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    d = 1 + plogp.sum(axis=0) / np.log(x.shape[0])
    return d / d.sum()


def cv(x):
    v = x.std(axis=0, ddof=1) / np.abs(x.mean(axis=0))
    return v / v.sum()


def critic(x):
    s = x.std(axis=0, ddof=1)
    c = s * (1 - np.corrcoef(x.T)).sum(axis=1)
    return c / c.sum()


def pca(x):
    vals, vecs = np.linalg.eigh(np.corrcoef(x.T))
    return vecs[:, -1] ** 2, vals[-1] / x.shape[1]


RI = [0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]


def ahp(a):
    vals, vecs = np.linalg.eig(a)
    k = np.argmax(vals.real)
    v = np.abs(vecs[:, k].real)
    n = a.shape[0]
    lam = vals[k].real
    return v / v.sum(), lam, (lam - n) / (n - 1) / RI[n]


rng = np.random.default_rng(20261202)
checked = 0
worst = 0.0
for trial in range(20):
    m, n = int(rng.integers(5, 60)), int(rng.integers(2, 8))
    base = rng.uniform(0, 100, size=(m, 1))
    x = np.abs(base * rng.uniform(0.2, 1.5, size=(1, n)) + rng.normal(0, 15, size=(m, n))) + 0.5
    for name, ref in (("entropy", entropy), ("cv", cv), ("critic", critic)):
        got, _, _ = run(name, x)
        err = np.max(np.abs(got - ref(x)))
        worst = max(worst, err)
        assert err < 1e-12, (name, trial, got, ref(x))
        checked += 1
    got, explained, _ = run("pca", x)
    want, want_ex = pca(x)
    err = max(np.max(np.abs(got - want)), abs(explained - want_ex))
    worst = max(worst, err)
    assert err < 1e-12, ("pca", trial, got, want)
    checked += 1
    # AHP: a reciprocal matrix of Saaty-scale judgements
    k = int(rng.integers(3, 10))
    a = np.ones((k, k))
    scale = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9]
    for i in range(k):
        for j in range(i + 1, k):
            a[i, j] = scale[int(rng.integers(0, len(scale)))]
            a[j, i] = 1 / a[i, j]
    got, lam, cr = run("ahp", a)
    want, want_lam, want_cr = ahp(a)
    err = max(np.max(np.abs(got - want)), abs(lam - want_lam) / k, abs(cr - want_cr))
    worst = max(worst, err)
    assert err < 1e-12, ("ahp", trial, got, want, lam, want_lam)
    checked += 1
print(f"ok: {checked} weight vectors agree with numpy (largest difference {worst:.1e})")
