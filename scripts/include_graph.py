#!/usr/bin/env python3
"""The include graph of aigw's C modules and its loops.

A module is src/FOLDER/NAME.c with its NAME.h (and NAME_internal.h, what
the module's own files share, if it has one).  Module A depends on module B
when A.c or A.h has `#include "FOLDER/B.h"` (includes name the folder, see
src/README.md); folder F depends on folder G when a module of F depends on
one of G.  A loop is a strongly connected component of more than one node:
modules (or folders) that each depend, through the others, on themselves.

  scripts/include_graph.py                 the folder graph, then every loop
  scripts/include_graph.py --modules       the module graph too
  scripts/include_graph.py --check folders exit 1 when folders form a loop
  scripts/include_graph.py --check modules exit 1 when modules form a loop
  scripts/include_graph.py --check root    exit 1 when a module includes init/
  scripts/include_graph.py --check sides   exit 1 when the worker side and the
                                           caller side include each other

Standard library only: test/t/layout.sh runs it.
"""
import argparse
import os
import re
import sys

# What runs only in the calling backend (src/README.md).
CALLER_SIDE = ('caller', 'batch', 'routing', 'sql')

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(src):
    """{module: set of modules it includes}; module = 'folder/name'."""
    files = {}
    for folder, _, names in os.walk(src):
        for name in names:
            if name.endswith(('.c', '.h')):
                path = os.path.join(folder, name)
                mod = os.path.relpath(path, src)[:-2]
                if mod.endswith('_internal'):
                    mod = mod[:-len('_internal')]
                files.setdefault(mod, []).append(path)
    graph = {mod: set() for mod in files}
    for mod, paths in files.items():
        for path in paths:
            with open(path, encoding='utf-8') as f:
                for inc in INCLUDE.findall(f.read()):
                    dep = inc[:-2] if inc.endswith('.h') else None
                    if dep and dep.endswith('_internal'):
                        dep = dep[:-len('_internal')]
                    if dep in graph and dep != mod:
                        graph[mod].add(dep)
    return graph


def folder_of(mod):
    return mod.rsplit('/', 1)[0] if '/' in mod else '.'


def folders(graph):
    out = {}
    for mod, deps in graph.items():
        out.setdefault(folder_of(mod), set())
        for dep in deps:
            if folder_of(dep) != folder_of(mod):
                out[folder_of(mod)].add(folder_of(dep))
    return out


def loops(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        # iterative, so a deep graph cannot exhaust Python's recursion
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out, key=lambda c: (-len(c), c))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--src', default=os.path.join(here, '..', 'src'))
    ap.add_argument('--modules', action='store_true',
                    help='print the module graph too')
    ap.add_argument('--check', choices=['folders', 'modules', 'root', 'sides'],
                    action='append', default=[])
    args = ap.parse_args()

    graph = modules(args.src)
    fgraph = folders(graph)
    mloops, floops = loops(graph), loops(fgraph)
    # init/ is the root: it knows every module and no module includes it
    into_init = sorted('%s -> %s' % (m, d) for m, deps in graph.items()
                       for d in deps
                       if folder_of(d) == 'init' and folder_of(m) != 'init')

    # The two processes share message, outcome (pool/) and providers/ and
    # the layers under them, never each other's code.
    cross = sorted('%s -> %s' % (m, d) for m, deps in graph.items()
                   for d in deps
                   if (folder_of(m) == 'worker' and folder_of(d) in CALLER_SIDE)
                   or (folder_of(d) == 'worker'
                       and folder_of(m) not in ('worker', 'init')))

    if not args.check:
        print('folders (%d):' % len(fgraph))
        for f in sorted(fgraph):
            print('  %-10s -> %s' % (f, ' '.join(sorted(fgraph[f])) or '-'))
        if args.modules:
            print('modules (%d):' % len(graph))
            for m in sorted(graph):
                print('  %-28s -> %s' % (m, ' '.join(sorted(graph[m])) or '-'))
        print('folder loops: %d' % len(floops))
        for c in floops:
            print('  ' + ' '.join(c))
        print('module loops: %d' % len(mloops))
        for c in mloops:
            print('  (%d) %s' % (len(c), ' '.join(c)))
        print('includes of init/: %d' % len(into_init))
        for e in into_init:
            print('  ' + e)
        print('includes between the worker and the caller side: %d' % len(cross))
        for e in cross:
            print('  ' + e)
        return 0

    bad = 0
    if 'folders' in args.check:
        for c in floops:
            print('folder loop: ' + ' '.join(c))
            bad = 1
    if 'modules' in args.check:
        for c in mloops:
            print('module loop: ' + ' '.join(c))
            bad = 1
    if 'root' in args.check:
        for e in into_init:
            print('includes init/: ' + e)
            bad = 1
    if 'sides' in args.check:
        for e in cross:
            print('crosses sides: ' + e)
            bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main())
