#!/usr/bin/env python3
"""Summarizes a `swift test --filter CaptureRewriteTests` log as a table: per test and rewrite, how many samples pass
and fail, and with -v which samples fail and their first issues.

    swift test --filter CaptureRewriteTests 2>&1 | python3 tools/rewrite/matrix_table.py [-v] [LOG]

The samples are those of samples/expected.json (every case of the matrix); a case fails when the log records an issue
for it.
"""

import argparse
import collections
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REWRITES = ["ack-ahead", "swap", "start-at-connect", "end-before-answer", "end-inside-record"]
REWRITES += ["snaplen-64", "snaplen-96", "snaplen-128", "snaplen-200", "duplicate"]
TESTS = {
    "verdictFollowsTheEvidence": REWRITES,
    "framesMatchTshark": ["ack-ahead", "swap", "duplicate"],
}
ISSUE = re.compile(
    r'Test (\w+)\(sample:rewrite:\) recorded an issue with 2 arguments sample → "([^"]+)", '
    r'rewrite → "([^"]+)" at \S+: (.*)'
)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", nargs="?", help="the test log (default: stdin)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the failing samples")
    args = parser.parse_args(argv)
    text = open(args.log, encoding="utf-8").read() if args.log else sys.stdin.read()
    with open(os.path.join(ROOT, "samples", "expected.json"), encoding="utf-8") as f:
        samples = sorted(json.load(f))
    issues = collections.defaultdict(lambda: collections.defaultdict(list))
    for match in ISSUE.finditer(text):
        test, sample, rewrite, message = match.groups()
        issues[(test, rewrite)][sample].append(message)
    for test, rewrites in TESTS.items():
        for rewrite in rewrites:
            failing = issues[(test, rewrite)]
            print("%-26s %-18s pass %3d  fail %3d" % (test, rewrite, len(samples) - len(failing), len(failing)))
            if args.verbose:
                for sample in sorted(failing):
                    print("    %s: %s" % (sample, failing[sample][0][:300]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
