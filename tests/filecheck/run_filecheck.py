#!/usr/bin/env python3
"""Runs one FileCheck test: the '# RUN:' lines of TEST, each a shell pipeline
in which %kiln-dump, %FileCheck and %s (the test file itself, which holds the
CHECK lines) are substituted. A RUN line ending in '\\' goes on on the next.

usage: run_filecheck.py TEST KILN_DUMP FILECHECK
"""
import shlex
import subprocess
import sys


def run_lines(path):
    lines, pending = [], ""
    with open(path) as test:
        for line in test:
            line = line.rstrip("\n")
            if "RUN:" not in line:
                continue
            part = line.split("RUN:", 1)[1].strip()
            if part.endswith("\\"):
                pending += part[:-1] + " "
                continue
            lines.append(pending + part)
            pending = ""
    return lines


def main():
    test, kiln_dump, filecheck = sys.argv[1:4]
    commands = run_lines(test)
    if not commands:
        print(f"{test}: no RUN lines")
        return 1
    for command in commands:
        command = (command.replace("%kiln-dump", shlex.quote(kiln_dump))
                          .replace("%FileCheck", shlex.quote(filecheck))
                          .replace("%s", shlex.quote(test)))
        print("RUN:", command)
        result = subprocess.run(["bash", "-o", "pipefail", "-c", command])
        if result.returncode != 0:
            print(f"FAILED (exit {result.returncode}): {command}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
