#!/usr/bin/env python3
"""Reads Autobahn testsuite reports (index.json) and fails unless every case passed.

A case passes when both `behavior` and `behaviorClose` are OK or INFORMATIONAL.
NON-STRICT is a failure (incremental UTF-8 must fail fast). UNIMPLEMENTED is allowed
only for the case prefixes given with --allow-unimplemented (sections 12 and 13 need
permessage-deflate). Prints a per-agent summary table, and a Markdown version with
--markdown FILE.

Usage: validate.py [--allow-unimplemented 12.,13.] [--markdown FILE] [--expect-agents N] INDEX.json...
"""
import argparse
import json
import sys

PASS = {"OK", "INFORMATIONAL"}


def classify(result, allowed_prefixes, case_id):
    b, bc = result.get("behavior"), result.get("behaviorClose")
    if b in PASS and bc in PASS:
        return "INFORMATIONAL" if "INFORMATIONAL" in (b, bc) else "OK"
    if "UNIMPLEMENTED" in (b, bc) and any(case_id.startswith(p) for p in allowed_prefixes):
        return "UNIMPLEMENTED"
    return "FAILED"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("index", nargs="+")
    ap.add_argument("--allow-unimplemented", default="", help="comma-separated case prefixes, e.g. 12.,13.")
    ap.add_argument("--markdown")
    ap.add_argument("--expect-agents", type=int, default=0)
    ap.add_argument("--min-cases", type=int, default=1)
    args = ap.parse_args()
    args.allow_unimplemented = [p for p in args.allow_unimplemented.split(",") if p]

    rows, failures = [], []
    for path in args.index:
        try:
            with open(path) as f:
                index = json.load(f)
        except OSError as e:
            failures.append(f"no report: {e}")
            continue
        for agent in sorted(index):
            counts = {"OK": 0, "INFORMATIONAL": 0, "UNIMPLEMENTED": 0, "FAILED": 0}
            for case_id, result in index[agent].items():
                verdict = classify(result, args.allow_unimplemented, case_id)
                counts[verdict] += 1
                if verdict == "FAILED":
                    failures.append(
                        f"{agent} {case_id}: behavior={result.get('behavior')} "
                        f"behaviorClose={result.get('behaviorClose')} ({result.get('reportfile')})"
                    )
            total = sum(counts.values())
            if total < args.min_cases:
                failures.append(f"{agent}: only {total} cases ran (expected at least {args.min_cases})")
            rows.append((agent, total, counts))

    header = ("agent", "cases", "OK", "INFORMATIONAL", "UNIMPLEMENTED", "failed")
    table = [header] + [
        (a, str(t), str(c["OK"]), str(c["INFORMATIONAL"]), str(c["UNIMPLEMENTED"]), str(c["FAILED"]))
        for a, t, c in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("| " + " | ".join(header) + " |\n")
            f.write("|" + "|".join("---" for _ in header) + "|\n")
            for r in table[1:]:
                f.write("| " + " | ".join(r) + " |\n")

    if args.expect_agents and len(rows) != args.expect_agents:
        failures.append(f"expected {args.expect_agents} agents, found {len(rows)}")
    if failures:
        print(f"\n{len(failures)} failure(s):", file=sys.stderr)
        for line in failures[:200]:
            print("  " + line, file=sys.stderr)
        sys.exit(1)
    print("\nAutobahn: all cases OK or INFORMATIONAL" +
          (" (UNIMPLEMENTED only in " + ", ".join(args.allow_unimplemented) + ")" if args.allow_unimplemented else ""))


if __name__ == "__main__":
    main()
