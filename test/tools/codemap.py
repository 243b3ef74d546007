#!/usr/bin/env python3
"""codemap: the structure checks of `make lint`, and the file-level call graph.

  codemap.py funcs  [--max N] [--allow FILE]   functions longer than N lines
  codemap.py loops  [--allow FILE]             file-level call loops
  codemap.py graph  [--dot FILE] [--tree T]    the file-level call graph

Function lengths are read from the sources: a function runs from the line of
its opening brace to the line of its closing brace (comments, strings and
preprocessor lines do not count as braces), and its length is the difference
of the two line numbers.

The call graph is read from the objects' symbol tables (nm): a file that
references a symbol another file defines depends on that file (a call, or a
table it reads).  A loop is a set of files that depend on each other
(a strongly connected component); an edge that lies inside one is a loop
edge.

Allow-lists only shrink: the check fails on an offender that is not listed,
and on a listed entry that is no longer an offender (gone, or now short, or
no longer in a loop), so that whoever fixes one also removes its line.
"""
import argparse
import os
import re
import subprocess
import sys

TREES = ("common", "server", "server/ftpcert", "client")
SOURCE_GLOBS = [(t, (".c", ".h")) for t in TREES]
OBJDIR = os.environ.get("CODEMAP_OBJDIR", "build/obj")


# --- sources -----------------------------------------------------------------

def source_files():
    out = []
    for tree, exts in SOURCE_GLOBS:
        if not os.path.isdir(tree):
            continue
        for name in sorted(os.listdir(tree)):
            if name.endswith(exts):
                out.append(os.path.join(tree, name))
    return out


def blank_out(text):
    """The text with comments, string and character literals and
    preprocessor lines replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if at_line_start and c == "#":
            # A directive, with its continuation lines.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        at_line_start = False
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else " ")
            i = j
            continue
        if c == "\n":
            at_line_start = True
        out.append(c)
        i += 1
    return "".join(out)


def functions(path):
    """(name, first line, last line) of every function defined in path."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = blank_out(f.read())
    found = []
    depth = 0
    header = []
    start = None
    name = None
    line = 1
    for c in text:
        if c == "\n":
            line += 1
        if depth == 0:
            if c == "{":
                h = "".join(header)
                m = re.search(r"(\w+)\s*\(", h)
                if m and "=" not in h.split("(")[0] and m.group(1) != "__attribute__":
                    start, name = line, m.group(1)
                else:
                    start, name = None, None
                header = []
                depth = 1
                continue
            if c in ";}":
                header = []
            else:
                header.append(c)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if start is not None:
                    found.append((name, start, line))
                start = None
    return found


def read_allow(path):
    entries = []
    if path is None or not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for raw in f:
            s = raw.split("#", 1)[0].strip()
            if s:
                entries.append(s)
    return entries


def cmd_funcs(args):
    long_ones = {}
    for path in source_files():
        for name, first, last in functions(path):
            if last - first > args.max:
                long_ones["%s:%s" % (path, name)] = (first, last - first)
    allow = read_allow(args.allow)
    status = 0
    for key in sorted(long_ones):
        first, n = long_ones[key]
        if key not in allow:
            path, name = key.split(":")
            tree = path.split("/")[0]
            print("%s:%d: %s: %d lines (over %d)%s" % (
                path, first, name, n, args.max,
                "" if tree != "common" else ": split it"), file=sys.stderr)
            status = 1
    for key in allow:
        if key.startswith("common/"):
            print("%s: common/ may have no entry in %s" % (key, args.allow),
                  file=sys.stderr)
            status = 1
        elif key not in long_ones:
            print("%s: listed in %s but no longer over %d lines (or gone): "
                  "remove its line" % (key, args.allow, args.max), file=sys.stderr)
            status = 1
    listed = sum(1 for k in allow if k in long_ones)
    if status:
        print("lint: functions over %d lines (see above)" % args.max, file=sys.stderr)
    else:
        print("lint: functions: none over %d lines outside the %d listed in %s"
              % (args.max, listed, args.allow))
    return status


# --- objects -----------------------------------------------------------------

def object_files():
    out = {}
    for tree in TREES:
        d = os.path.join(OBJDIR, tree)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            src = os.path.join(tree, name[:-2] + ".c")
            # An object whose source is gone (a file renamed or removed
            # since the last build) is not part of the graph.
            if name.endswith(".o") and os.path.exists(src):
                out[src] = os.path.join(d, name)
    return out


def nm(obj, *flags):
    r = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True)
    syms = set()
    for ln in r.stdout.splitlines():
        parts = ln.split()
        if parts:
            syms.add(parts[-1])
    return syms


def call_graph():
    objs = object_files()
    if not objs:
        sys.exit("codemap: no objects under %s: run make first" % OBJDIR)
    defined, used = {}, {}
    for src, obj in objs.items():
        used[src] = nm(obj, "--undefined-only")
        for s in nm(obj, "--defined-only", "--extern-only"):
            defined.setdefault(s, src)
    edges = {src: set() for src in objs}
    for src, syms in used.items():
        for s in syms:
            dst = defined.get(s)
            if dst is not None and dst != src:
                edges[src].add(dst)
    return edges


def components(edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, comps = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))
    return comps


def a_cycle(edges, comp):
    """One cycle through the component's first file, for the message."""
    members = set(comp)
    start = comp[0]
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges[v]):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return comp


def cmd_loops(args):
    edges = call_graph()
    comps = components(edges)
    loop_edges = set()
    for comp in comps:
        members = set(comp)
        for v in comp:
            for w in edges[v]:
                if w in members:
                    loop_edges.add("%s -> %s" % (v, w))
    allow = read_allow(args.allow)
    status = 0
    for comp in comps:
        new = sorted(e for e in loop_edges
                     if e.split(" -> ")[0] in comp and e not in allow)
        bad_tree = any(f.startswith("common/") for f in comp)
        if new or bad_tree:
            print("loop: %s" % " -> ".join(a_cycle(edges, comp)), file=sys.stderr)
            for e in new:
                print("  not listed: %s" % e, file=sys.stderr)
            status = 1
    for e in allow:
        if e.startswith("common/"):
            print("%s: common/ may have no entry in %s" % (e, args.allow), file=sys.stderr)
            status = 1
        elif e not in loop_edges:
            print("%s: listed in %s but no longer in a loop: remove its line"
                  % (e, args.allow), file=sys.stderr)
            status = 1
    if status:
        print("lint: file-level call loops (see above)", file=sys.stderr)
    else:
        print("lint: loops: none outside the %d listed edges in %s (%d loops)"
              % (len(allow), args.allow, len(comps)))
    return status


def cmd_graph(args):
    edges = call_graph()
    trees = args.tree or ["common", "server", "client"]

    def in_trees(f):
        return any(f.startswith(t + "/") for t in trees)

    lines = []
    for v in sorted(edges):
        if not in_trees(v):
            continue
        for w in sorted(edges[v]):
            if in_trees(w):
                lines.append((v, w))
    if args.dot:
        with open(args.dot, "w", encoding="utf-8") as f:
            f.write("digraph calls {\n  rankdir=LR;\n  node [shape=box];\n")
            for v, w in lines:
                f.write('  "%s" -> "%s";\n' % (v, w))
            f.write("}\n")
    for v, w in lines:
        print("%s -> %s" % (v, w))
    for comp in components(edges):
        if any(in_trees(f) for f in comp):
            print("loop: %s" % " -> ".join(a_cycle(edges, comp)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("funcs")
    f.add_argument("--max", type=int, default=80)
    f.add_argument("--allow")
    lo = sub.add_parser("loops")
    lo.add_argument("--allow")
    g = sub.add_parser("graph")
    g.add_argument("--dot")
    g.add_argument("--tree", action="append")
    args = ap.parse_args()
    return {"funcs": cmd_funcs, "loops": cmd_loops, "graph": cmd_graph}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
