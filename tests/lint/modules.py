#!/usr/bin/env python3
"""Module imports of src/: no cycle between files, and the layers of docs/architecture.md.

    python3 tests/lint/modules.py [--edges] [--self-test]

Reads every `.rs` file under src/ (test-only code aside: files declared under
`#[cfg(test)]` and `#[cfg(test)] mod tests { ... }` blocks), finds every path it names
(`use` trees and paths written inline: `crate::…`, `super::…`, `self::…`, and a
`mod.rs` naming its own submodules), and resolves each to the file of the deepest module
it reaches. A file may use what its ancestor modules define (the context they hand
down: `core::Core`, say); every other import is an arrow. Fails on any loop of arrows
(each loop is printed with the names that tie it) and on an arrow the layers forbid.
With `--edges`, prints every arrow. `--self-test` first runs the lint on a small tree
with a known cycle and a known breach, and fails unless it finds exactly those.
"""
import os
import re
import sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SRC = os.path.normpath(os.path.join(ROOT, "src"))

# (from-prefix, to-prefix): no module under the first may import one under the second.
FORBIDDEN = [
    ("core", "http"), ("core", "xmpp"), ("core", "server"), ("core", "cli"),
    ("core", "config"), ("core", "nats"), ("core", "transport"),
    ("http", "xmpp"), ("xmpp", "http"),
    ("http", "store"), ("xmpp", "store"),
    ("store", "core"), ("store", "http"), ("store", "xmpp"), ("store", "server"),
    ("xml", "core"), ("xml", "store"), ("xml", "http"), ("xml", "xmpp"),
    ("transport", "core"), ("transport", "http"), ("transport", "xmpp"),
    ("config", "http"), ("config", "xmpp"), ("config", "server"), ("config", "nats"),
]

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """Code with comments, string and char literals blanked (lines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            close = '"' + m.group(1)
            j = text.find(close, i + len(m.group(0)))
            j = n if j < 0 else j + len(close)
            out.append("\n" * text.count("\n", i, j) + '""')
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append("\n" * text.count("\n", i, j) + '""')
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 12]) or (c == "'" and re.match(r"'\\u\{[0-9a-fA-F]+\}'", text[i:i + 14])):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching_brace(text, i):
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(text)


def strip_test_blocks(code):
    """Removes `#[cfg(test)]` items: `mod tests;`, `use …;`, and those with a body."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([a-z]+\))?\s+)?(mod|fn|impl|struct|use)\b", code)
        if not m:
            return code
        rest = code[m.end():]
        semi, brace = rest.find(";"), rest.find("{")
        if semi != -1 and (brace == -1 or semi < brace):
            end = m.end() + semi + 1
        else:
            end = matching_brace(code, m.end() + brace) + 1
        code = code[:m.start()] + "\n" * code.count("\n", m.start(), end) + code[end:]


def module_files(src):
    """Module path (tuple) -> file, test-only modules left out."""
    files = {}

    def visit(mod_path, path, dir_for_children):
        files[mod_path] = path
        code = strip_comments_and_strings(open(path, encoding="utf-8").read())
        for m in re.finditer(r"(#\[[^\]]*\]\s*)*(pub(\([a-z]+\))?\s+)?mod\s+(" + IDENT + r")\s*;", code):
            attrs = m.group(0)
            if "cfg(test)" in attrs:
                continue
            name = m.group(4)
            explicit = re.search(r'#\[path\s*=\s*""\]', attrs)
            if explicit:
                continue  # a #[path] module: shared with the tests, not part of the graph
            candidates = [os.path.join(dir_for_children, name + ".rs"),
                          os.path.join(dir_for_children, name, "mod.rs")]
            for c in candidates:
                if os.path.exists(c):
                    sub_dir = os.path.dirname(c) if c.endswith("mod.rs") else os.path.join(dir_for_children, name)
                    visit(mod_path + (name,), c, sub_dir)
                    break

    visit((), os.path.join(src, "lib.rs"), src)
    return files


def expand_use(tree, prefix=()):
    """`a::{b, c::d as e}` -> [('a','b'), ('a','c','d')]."""
    tree = tree.strip()
    segs, cur = [], ""
    i = 0
    while i < len(tree):
        if tree[i] == "{":
            base = prefix + tuple(segs)
            inner = tree[i + 1:matching_brace(tree, i)]
            return [leaf for item in split_top(inner) for leaf in expand_use(item, base)]
        if tree.startswith("::", i):
            segs.append(cur.strip())
            cur = ""
            i += 2
            continue
        cur += tree[i]
        i += 1
    cur = re.split(r"\s+as\s+", cur.strip())[0]
    return [prefix + tuple(seg for seg in segs + [cur] if seg)]


def split_top(text):
    items, depth, cur = [], 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        items.append(cur)
    return items


def resolve(path, here, modules):
    """The module a path names (deepest existing), as a tuple, from module `here`."""
    if not path:
        return None
    head, rest = path[0], list(path[1:])
    if head == "crate":
        base = ()
    elif head == "self":
        base = here
    elif head == "super":
        base = here[:-1]
        while rest and rest[0] == "super":
            base = base[:-1]
            rest.pop(0)
    elif here + (head,) in modules:
        base, rest = here + (head,), rest
    else:
        return None
    best = base
    cur = base
    for seg in rest:
        cur = cur + (seg,)
        if cur in modules:
            best = cur
        else:
            break
    return best


def lint(src, show_edges=False, report=None):
    """Problems found in the tree under `src`, printed to `report` (standard error);
    returns how many."""
    report = report or sys.stderr
    modules = module_files(src)
    by_file = {f: m for m, f in modules.items()}
    edges = defaultdict(lambda: defaultdict(set))  # from module -> to module -> names
    for mod_path, path in modules.items():
        code = strip_test_blocks(strip_comments_and_strings(open(path, encoding="utf-8").read()))
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", code):
            for p in expand_use(m.group(1)):
                paths.append(p)
        no_use = re.sub(r"\buse\s+[^;]+;", "", code)
        children = {m[-1] for m in modules if m[:-1] == mod_path and len(m) == len(mod_path) + 1}
        for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:" + IDENT + r")(?:::" + IDENT + r")+)", no_use):
            segs = tuple(m.group(1).split("::"))
            if segs[0] in ("crate", "super", "self") or segs[0] in children:
                paths.append(segs)
        for p in paths:
            target = resolve(p, mod_path, modules)
            if target is None or target == mod_path:
                continue
            if mod_path[:len(target)] == target:
                continue  # an ancestor: the context it hands down
            name = p[-1] if p[-1] != target[-1] else "(module)"
            edges[mod_path][target].add(name)

    def show(m):
        f = modules[m]
        return os.path.relpath(f, ROOT)

    if show_edges:
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print(f"{show(a)} -> {show(b)}: {', '.join(sorted(edges[a][b]))}")

    problems = 0
    # Strongly connected components (Tarjan, iterative).
    index, low, on, stack, sccs, counter = {}, {}, set(), [], [], [0]

    def strong(v):
        work = [(v, iter(sorted(edges[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
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
                elif w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
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
                    sccs.append(comp)

    for v in sorted(modules):
        if v not in index:
            strong(v)
    for comp in sccs:
        problems += 1
        members = set(comp)
        print(f"modules: import cycle among {len(comp)} files:", file=report)
        for a in sorted(comp):
            for b in sorted(edges[a]):
                if b in members:
                    print(f"  {show(a)} -> {show(b)}: {', '.join(sorted(edges[a][b]))}", file=report)
    for a in sorted(edges):
        for b in sorted(edges[a]):
            for lo, hi in FORBIDDEN:
                if a[:1] == (lo,) and b[:1] == (hi,):
                    problems += 1
                    print(f"modules: {show(a)} imports {show(b)} ({', '.join(sorted(edges[a][b]))}): "
                          f"`{lo}` must not import `{hi}` (docs/architecture.md, Layers)", file=report)
    files = len(modules)
    arrows = sum(len(v) for v in edges.values())
    if problems:
        print(f"modules: {problems} problem(s) in {files} files, {arrows} arrows", file=report)
    elif report is sys.stderr:
        print(f"modules: {files} files, {arrows} arrows, no cycle, layers hold")
    return problems


SELF_TEST = {
    "lib.rs": "pub mod core;\npub mod http;\n",
    "core/mod.rs": "mod a;\nmod b;\nmod c;\npub struct Core;\n",
    # a and b import each other; both may use what core/mod.rs defines.
    "core/a.rs": "use super::b::B;\nuse super::Core;\npub struct A;\n",
    "core/b.rs": "pub struct B;\nfn f() { let _ = crate::core::a::A; }\n",
    # a layer breach, written inline.
    "core/c.rs": "fn g() { crate::http::serve(); }\n",
    "http/mod.rs": "// crate::core::x in a comment is no import\npub fn serve() { let _ = \"crate::core::a\"; }\n",
}


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for path, text in SELF_TEST.items():
            os.makedirs(os.path.join(tmp, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(tmp, path), "w", encoding="utf-8") as f:
                f.write(text)
        import io
        found = lint(tmp, report=io.StringIO())
    if found != 2:
        print(f"modules: the self-test tree has 2 problems (a cycle, a breach), the lint found {found}",
              file=sys.stderr)
        return False
    print("modules: self-test found the cycle and the breach")
    return True


def main():
    if "--self-test" in sys.argv and not self_test():
        return 1
    return 1 if lint(SRC, "--edges" in sys.argv) else 0


if __name__ == "__main__":
    sys.exit(main())
