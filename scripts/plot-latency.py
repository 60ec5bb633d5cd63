#!/usr/bin/env python3
"""Plots latency against offered load from `chorus bench social --rates ...`.

Usage: scripts/plot-latency.py bench-results/social-<stamp>-latency.csv [out.png]

The CSV has the columns offered_rate,achieved_rate,p50_ms,p90_ms,p99_ms,p999_ms,errors;
the PNG (next to the CSV unless named) shows p50, p99 and p99.9 against the offered rate.
"""

import csv
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source = Path(sys.argv[1])
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else source.with_suffix(".png")
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
        from matplotlib.ticker import ScalarFormatter
    except ImportError:
        print(
            "plot-latency.py needs matplotlib: pip install matplotlib",
            file=sys.stderr,
        )
        return 1

    with source.open(newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: float(r["offered_rate"]))
    if not rows:
        print(f"{source}: no rows", file=sys.stderr)
        return 1
    offered = [float(r["offered_rate"]) for r in rows]

    fig, ax = plt.subplots(figsize=(8, 5))
    for column, label in (("p50_ms", "p50"), ("p99_ms", "p99"), ("p999_ms", "p99.9")):
        ax.plot(offered, [float(r[column]) for r in rows], marker="o", label=label)
    for rate, row in zip(offered, rows):
        achieved = float(row["achieved_rate"])
        errors = int(row["errors"])
        # Mark the points where the server fell behind or failed requests.
        if achieved < 0.95 * rate or errors:
            ax.annotate(
                f"{achieved:.0f}/s" + (f", {errors} err" if errors else ""),
                (rate, float(row["p999_ms"])),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
            )
    ax.set_xlabel("offered load (requests/s)")
    ax.set_ylabel("latency (ms)")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.set_title("Chorus social mix: latency against offered load")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(target, dpi=120)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
