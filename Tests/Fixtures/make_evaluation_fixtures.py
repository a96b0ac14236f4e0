#!/usr/bin/env python3
"""Reference values for Lethe's evaluation metrics (run by hand, never by CI).

Writes Tests/UnlearningTests/Fixtures/evaluation/:

    ks_2samp.json  scipy.stats.ks_2samp(a, b) (two-sided, method 'auto'): statistic and p-value
    kstwo.json     scipy.stats.kstwo.sf(x, n), the distribution ks_2samp falls back to,
                   at points chosen to hit every branch of scipy's Simard–L'Ecuyer dispatch
    roc_auc.json   sklearn.metrics.roc_auc_score, checked against MUSE's roc_curve + auc
    min_k.json     MUSE's Min-K% Prob: -mean(sort(log_probs)[:int(len * ratio)])

Samples too large to write out are drawn by a 64-bit LCG that the Swift test reproduces
(`{"lcg": {"seed", "count", "modulus", "offset"}}`, value = (state >> 33) % modulus + offset,
exact in a Double). Everything else comes from seeded numpy generators, so running the
script again writes the same files. See Tests/Fixtures/README.md.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import auc, roc_auc_score, roc_curve

OUT_DIR = Path(__file__).resolve().parents[2] / "Tests" / "UnlearningTests" / "Fixtures" / "evaluation"
LCG_MULTIPLIER = 6364136223846793005
LCG_INCREMENT = 1442695040888963407


def lcg_sample(seed: int, count: int, modulus: int, offset: int) -> list[float]:
    state, values = seed, []
    for _ in range(count):
        state = (state * LCG_MULTIPLIER + LCG_INCREMENT) % 2**64
        values.append(float((state >> 33) % modulus + offset))
    return values


def rounded(values, decimals: int) -> list[float]:
    return [round(float(v), decimals) for v in values]


# --- ks_2samp -------------------------------------------------------------------------------

def small_samples() -> list[tuple[str, object, object]]:
    """(name, a, b) with n, m in 1..20: ties and none, equal and unequal sizes."""
    rng = np.random.default_rng(2024)
    cases = [
        ("1v1 distinct", [0.5], [1.5]),
        ("1v1 equal", [2.0], [2.0]),
        ("1v5", [0.3], rounded(rng.normal(size=5), 4)),
        ("3v3 separated", [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
        ("5v5 identical", [0.1, 0.4, 0.4, 0.9, 1.3], [0.1, 0.4, 0.4, 0.9, 1.3]),
        # D = 1/7: scipy's exact formula rounds to 1.0000000000000002 and it falls back to kstwo.
        ("7v7 interleaved", [float(i) for i in range(7)], [i + 0.5 for i in range(7)]),
        ("8v8 interleaved", [float(i) for i in range(8)], [i + 0.5 for i in range(8)]),
        ("10v10 shifted by 2", [float(i) for i in range(10)], [i + 2.5 for i in range(10)]),
        ("20v1", rounded(rng.normal(size=20), 4), [0.0]),
        ("17v20 separated", rounded(rng.uniform(0, 1, 17), 5), rounded(rng.uniform(2, 3, 20), 5)),
        ("4v16 ties", [1.0, 2.0, 2.0, 3.0], [float(v) for v in rng.integers(0, 5, 16)]),
        ("11v19 ties across", [float(v) for v in rng.integers(0, 6, 11)], [float(v) for v in rng.integers(1, 7, 19)]),
        ("10v10 heavy ties", [float(v) for v in rng.integers(0, 3, 10)], [float(v) for v in rng.integers(0, 4, 10)]),
    ]
    for n, m, shift, decimals in [(6, 9, 0.0, 4), (12, 8, 0.5, 1), (13, 13, 0.0, 4), (15, 15, 1.0, 4),
                                  (20, 20, 0.3, 4), (20, 15, 0.0, 1), (9, 14, -0.8, 4), (19, 20, 0.6, 2),
                                  (2, 3, 0.0, 4), (16, 12, 0.0, 0)]:
        a = rounded(rng.normal(size=n), decimals)
        b = rounded(rng.normal(loc=shift, size=m), decimals)
        cases.append((f"{n}v{m} normal shift {shift} ({decimals} decimals)", a, b))
    return cases


def medium_samples() -> list[tuple[str, object, object]]:
    rng = np.random.default_rng(400)
    base = rounded(rng.normal(size=400), 6)
    return [
        ("400v400 same distribution", base, rounded(rng.normal(size=400), 6)),
        ("400v400 shifted", rounded(rng.normal(size=400), 6), rounded(rng.normal(0.25, size=400), 6)),
        ("400v400 ties (1 decimal)", rounded(rng.normal(size=400), 1), rounded(rng.normal(0.1, size=400), 1)),
        ("400v400 identical", base, list(base)),
        ("400v200 same distribution", rounded(rng.normal(size=400), 6), rounded(rng.normal(size=200), 6)),
        ("400v200 shifted", rounded(rng.normal(size=400), 6), rounded(rng.normal(0.3, 1.2, size=200), 6)),
        ("400v200 separated", rounded(rng.uniform(0, 1, 400), 6), rounded(rng.uniform(1.5, 2, 200), 6)),
        # Equal sizes, D = 2/300: the exact formula again lands just above 1.
        ("300v300 D=2/300", [float(i) for i in range(300)], [i + 1.5 for i in range(300)]),
    ]


def lcg(seed: int, count: int, modulus: int, offset: int = 0) -> dict:
    return {"lcg": {"seed": seed, "count": count, "modulus": modulus, "offset": offset}}


def large_samples() -> list[tuple[str, object, object]]:
    """Exact up to 10000 per sample (scipy's MAX_AUTO_N), kstwo above."""
    return [
        ("3000v2500 exact", lcg(1, 3000, 100_000), lcg(2, 2500, 100_000, 3_000)),
        ("3000v2500 ties exact", lcg(3, 3000, 50), lcg(4, 2500, 50)),
        ("3000v3000 exact", lcg(5, 3000, 1_000_000), lcg(6, 3000, 1_000_000, 40_000)),
        ("10000v9999 exact", lcg(7, 10_000, 1_000_000), lcg(8, 9_999, 1_000_000, 15_000)),
        ("10001v10000 kstwo Pelz-Good", lcg(9, 10_001, 1_000_000), lcg(10, 10_000, 1_000_000, 12_000)),
        ("10001v10000 kstwo Smirnov", lcg(11, 10_001, 1_000_000), lcg(12, 10_000, 1_000_000, 25_000)),
        # b is a prefix of a's stream: D is a few 1/n, where kstwo uses the Durbin matrix.
        ("12000v11000 kstwo Durbin", lcg(13, 12_000, 1_000_000), lcg(13, 11_000, 1_000_000)),
        ("12000v40 kstwo n=40 Durbin", lcg(21, 12_000, 1_000), lcg(22, 40, 1_000, 30)),
        ("12000v40 kstwo n=40 Pomeranz", lcg(15, 12_000, 1_000), lcg(16, 40, 1_000, 150)),
        ("12000v40 kstwo n=40 x>=1/2", lcg(17, 12_000, 1_000), lcg(18, 40, 1_000, 400)),
        ("20000v3 kstwo n=3", lcg(19, 20_000, 1_000), lcg(20, 3, 1_000, 300)),
    ]


def materialise(sample) -> list[float]:
    if isinstance(sample, dict):
        return lcg_sample(**sample["lcg"])
    return sample


def ks_case(name: str, a, b) -> dict:
    values_a, values_b = materialise(a), materialise(b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = stats.ks_2samp(values_a, values_b, alternative="two-sided", method="auto")
    fell_back = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    n, m = len(values_a), len(values_b)
    case = {"name": name, "a": a, "b": b, "statistic": float(result.statistic), "pvalue": float(result.pvalue)}
    if max(n, m) <= 10_000 and not fell_back:
        return case | {"method": "exact"}
    effective_n = int(np.round(n * m / (n + m)))
    return case | {"method": "kstwo", "kstwo_n": effective_n,
                   "kstwo_branch": kolmogn_branch(effective_n, float(result.statistic))}


# --- kstwo ----------------------------------------------------------------------------------

def kolmogn_branch(n: int, x: float) -> str:
    """Which computation scipy's _kolmogn(n, x, cdf=False) uses (mirrors its conditions)."""
    if x >= 1.0 or x <= 0.0:
        return "bounds"
    t = n * x
    if t <= 1.0:
        return "sf=1 (t<=1/2)" if t <= 0.5 else "Ruben-Gambino (t<=1)"
    if t >= n - 1:
        return "Ruben-Gambino (t>=n-1)"
    if x >= 0.5:
        return "2*smirnov (x>=1/2)"
    nxsquared = t * x
    if n <= 140:
        if nxsquared <= 0.754693:
            return "Durbin (n<=140)"
        if nxsquared <= 4:
            return "Pomeranz (n<=140)"
        return "2*smirnov (n<=140)"
    if nxsquared >= 370.0:
        return "sf=0"
    if nxsquared >= 2.2:
        return "2*smirnov approximated (n>1e6)" if n > 1_000_000 else "2*smirnov"
    if n <= 100000 and n * x**1.5 <= 1.4:
        return "Durbin"
    return "Pelz-Good"


KSTWO_POINTS = [
    (5, 0.05), (5, 0.15), (40, 0.02), (300, 0.0025), (1, 0.7), (3, 0.3), (3, 0.6), (10, 0.95),
    (2, 0.75), (7, 0.55), (30, 0.6), (140, 0.5), (10, 0.2), (40, 0.1), (140, 0.06), (100, 0.08),
    (20, 0.3), (60, 0.2), (140, 0.15), (10, 0.45), (40, 0.4), (140, 0.2), (200, 0.5), (1000, 0.7),
    (5000, 0.3), (200, 0.15), (1000, 0.06), (5000, 0.025), (99999, 0.0055), (2_000_000, 0.0015),
    (200, 0.03), (1000, 0.012), (5000, 0.004), (100000, 0.001), (200, 0.06), (1000, 0.03),
    (5000, 0.01), (100000, 0.003), (200000, 0.001), (500000, 0.0008), (141, 0.05), (150, 1 / 150),
    (100000, 0.00025),
]


def kstwo_cases() -> list[dict]:
    cases = [{"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n)), "branch": kolmogn_branch(n, x)}
             for n, x in KSTWO_POINTS]
    every_branch = {kolmogn_branch(n, x) for n, x in KSTWO_POINTS} - {"bounds"}
    assert len(every_branch) == 12, sorted(every_branch)
    return cases


# --- ROC AUC and Min-K% Prob ----------------------------------------------------------------

def auc_cases() -> list[dict]:
    rng = np.random.default_rng(77)
    cases = [
        ("no ties", rounded(rng.normal(0.5, size=50), 6), rounded(rng.normal(size=30), 6)),
        ("ties (1 decimal)", rounded(rng.normal(0.3, size=40), 1), rounded(rng.normal(size=60), 1)),
        ("all tied", [1.0, 1.0, 1.0], [1.0, 1.0]),
        ("separated", [3.0, 4.0, 5.0], [0.0, 1.0, 2.0, 2.5]),
        ("inverted", [0.0, 1.0], [2.0, 3.0, 4.0]),
        ("one against one, tied", [0.25], [0.25]),
        ("Min-K like, 400 vs 200", rounded(-rng.gamma(2.0, 1.0, 400), 4), rounded(-rng.gamma(2.2, 1.0, 200), 4)),
    ]
    out = []
    for name, positives, negatives in cases:
        labels = [1] * len(positives) + [0] * len(negatives)
        scores = positives + negatives
        value = float(roc_auc_score(labels, scores))
        fpr, tpr, _ = roc_curve(labels, scores)  # MUSE's sweep
        assert abs(float(auc(fpr, tpr)) - value) < 1e-12, name
        out.append({"name": name, "positives": positives, "negatives": negatives, "auc": value})
    return out


def min_k_cases() -> list[dict]:
    rng = np.random.default_rng(40)
    out = []
    for length in [3, 4, 5, 7, 10, 13, 15, 25, 64]:
        log_probs = rounded(-rng.exponential(2.0, length), 5)
        for ratio in [0.05, 0.2, 0.4, 0.6]:
            k_length = int(len(log_probs) * ratio)  # MUSE privleak.py, and the Min-K% Prob paper's code
            if k_length == 0:
                continue  # MUSE takes the mean of nothing (NaN); Lethe takes one token
            muse = float(-np.mean(np.sort(log_probs)[:k_length]))
            out.append({"log_probs": log_probs, "ratio": ratio, "k_length": k_length, "muse_min_k": muse})
    return out


# --- output ---------------------------------------------------------------------------------

def write(name: str, header: dict, cases: list[dict]) -> None:
    path = OUT_DIR / name
    document = header | {"cases": cases}
    # One case per line: small diffs when regenerated.
    lines = ",\n".join("    " + json.dumps(case) for case in cases)
    head = json.dumps(header, indent=2)[:-2]
    path.write_text(f'{head},\n  "cases": [\n{lines}\n  ]\n}}\n')
    assert json.loads(path.read_text()) == document
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(cases)} cases)")


def main() -> int:
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                "sklearn": sklearn.__version__}
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    ks = [ks_case(*case) for case in small_samples() + medium_samples() + large_samples()]
    assert len(ks) >= 30
    methods = {case["method"] for case in ks}
    assert methods == {"exact", "kstwo"}, methods
    assert any(case["method"] == "kstwo" and max(len(materialise(case["a"])), len(materialise(case["b"]))) <= 10_000
               for case in ks), "no case where scipy's exact computation falls back"
    for case in ks:
        print(f"  {case['name']:40s} D={case['statistic']:.6f} p={case['pvalue']:.6e} {case['method']} "
              f"{case.get('kstwo_branch', '')}")
    fallback_branches = {case["kstwo_branch"] for case in ks if case["method"] == "kstwo"}
    assert {"Durbin", "Pelz-Good", "2*smirnov", "Durbin (n<=140)", "Pomeranz (n<=140)"} <= fallback_branches
    write("ks_2samp.json", {"call": "scipy.stats.ks_2samp(a, b, alternative='two-sided', method='auto')",
                            "lcg": {"multiplier": LCG_MULTIPLIER, "increment": LCG_INCREMENT,
                                    "value": "(state >> 33) % modulus + offset, state advanced first"},
                            "versions": versions}, ks)
    write("kstwo.json", {"call": "scipy.stats.kstwo.sf(x, n)", "versions": versions}, kstwo_cases())
    write("roc_auc.json", {"call": "sklearn.metrics.roc_auc_score(labels, scores), positives labelled 1",
                           "versions": versions}, auc_cases())
    write("min_k.json", {"call": "-np.mean(np.sort(log_probs)[:int(len(log_probs) * ratio)])",
                         "versions": versions}, min_k_cases())
    return 0


if __name__ == "__main__":
    sys.exit(main())
