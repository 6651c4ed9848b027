#!/usr/bin/env python3
"""The layering check: includes point down the layers only.

  ir/       includes nothing from engine/, jit/ or kernels/
  kernels/  includes nothing from ir/, jit/ or engine/ (a leaf)
  jit/      includes nothing from engine/
  engine/   names a concrete backend (jit/cpu/, jit/cuda/) only in
            engine/compile/backends.cpp
  examples/ include <kiln/kiln.hpp> and their own files, nothing else of kiln

Each include is resolved the way the compiler would (beside the file, then
from the repository root), so a relative "../jit/x.hpp" counts like
"jit/x.hpp". Run with the repository root; exits 1 naming every offending
file and line. --self-test runs the check on a small tree with one
violation of each rule and fails unless every one is reported.
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)
SOURCE_SUFFIXES = ('.cpp', '.hpp', '.h', '.c', '.cc')
BACKENDS_FILE = 'engine/compile/backends.cpp'


def resolve(root, including, target):
    """The repository path an include names, or None for a system header."""
    for base in (os.path.dirname(including), '', 'engine'):
        path = os.path.normpath(os.path.join(base, target))
        if not path.startswith('..') and os.path.isfile(os.path.join(root, path)):
            return path
    return None


def top(path):
    return path.split('/', 1)[0]


def violations(root):
    found = []
    for folder in ('ir', 'kernels', 'jit', 'engine', 'examples'):
        for directory, _, names in os.walk(os.path.join(root, folder)):
            for name in sorted(names):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.relpath(os.path.join(directory, name), root)
                with open(os.path.join(root, path), encoding='utf-8') as source:
                    text = source.read()
                for match in INCLUDE.finditer(text):
                    line = text.count('\n', 0, match.start()) + 1
                    bracket, target = match.groups()
                    why = rule_broken(root, path, bracket, target)
                    if why:
                        closing = '"' if bracket == '"' else '>'
                        found.append(f'{path}:{line}: #include {bracket}{target}{closing}: {why}')
    return found


def rule_broken(root, path, bracket, target):
    layer = top(path)
    if layer == 'examples':
        if bracket == '<':
            return 'examples may include only <kiln/kiln.hpp> of kiln' if target.startswith('kiln/') and \
                target != 'kiln/kiln.hpp' else None
        included = resolve(root, path, target)
        if included and top(included) != 'examples':
            return f'examples use the public API only (<kiln/kiln.hpp>), not {included}'
        return None
    included = resolve(root, path, target) if bracket == '"' else None
    if included is None:
        return None
    to = top(included)
    if layer == 'ir' and to in ('engine', 'jit', 'kernels'):
        return f'ir/ is the bottom layer and may not include {to}/'
    if layer == 'kernels' and to in ('ir', 'jit', 'engine'):
        return f'kernels/ is a leaf and may not include {to}/'
    if layer == 'jit' and to == 'engine':
        return 'jit/ may not include engine/'
    if layer == 'engine' and included.startswith(('jit/cpu/', 'jit/cuda/')) and path != BACKENDS_FILE:
        return f'engine/ reaches backends through jit/backend.hpp; only {BACKENDS_FILE} names one'
    return None


def self_test():
    tree = {
        'ir/a.hpp': '#include "../engine/api/b.hpp"\n',
        'kernels/k.cpp': '#include "ir/a.hpp"\n',
        'jit/j.cpp': '#include "../engine/api/b.hpp"\n#include "../ir/a.hpp"\n',
        'jit/cpu/c.hpp': '',
        'engine/api/b.hpp': '#include "../../jit/cpu/c.hpp"\n#include <vector>\n',
        'engine/compile/backends.cpp': '#include "../../jit/cpu/c.hpp"\n',
        'engine/kiln/kiln.hpp': '',
        'examples/e.cpp': '#include <kiln/kiln.hpp>\n#include "../ir/a.hpp"\n#include "common/x.hpp"\n',
        'examples/common/x.hpp': '#include <kiln/ir/graph.hpp>\n',
    }
    expected = ['ir/a.hpp:1', 'kernels/k.cpp:1', 'jit/j.cpp:1', 'engine/api/b.hpp:1', 'examples/e.cpp:2',
                'examples/common/x.hpp:1']
    with tempfile.TemporaryDirectory() as root:
        for path, text in tree.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), 'w', encoding='utf-8') as out:
                out.write(text)
        reported = [v.split(': ', 1)[0] for v in violations(root)]
    if sorted(reported) != sorted(expected):
        print('self-test: expected violations', sorted(expected), 'but the check reported', sorted(reported))
        return 1
    print(f'self-test: all {len(expected)} planted violations reported, and nothing else')
    return 0


def main():
    if sys.argv[1:2] == ['--self-test']:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    found = violations(root)
    for violation in found:
        print(violation)
    if found:
        print(f'{len(found)} include(s) point up a layer')
        return 1
    print('layers: every include points down')
    return 0


if __name__ == '__main__':
    sys.exit(main())
