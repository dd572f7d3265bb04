#!/usr/bin/env python3
"""Checks PowerShell scripts against an independent grammar, for Windows PowerShell 5.1.

    check-powershell.py FILE...     exit 0 when every file passes, 1 otherwise (one line per problem)

Each file is parsed with tree-sitter-powershell (PyPI `tree-sitter`, `tree-sitter-powershell`). A file fails
on any ERROR or MISSING node, and on PowerShell 7 syntax that the grammar accepts but Windows PowerShell 5.1
rejects: pipeline chains (`&&`, `||`). The grammar already refuses the other PowerShell 7 operators (`?:`,
`??`, `??=`, `?.`, `?[]`) as ERROR nodes; they are also looked for in every token outside strings and
comments, so that a later grammar accepting them still fails here.

Needs the venv made by scripts/install-deps (COORDINATOR_VENV, default /opt/coordinator-venv).
"""
import sys

try:
    import tree_sitter
    import tree_sitter_powershell
except ImportError as error:  # pragma: no cover - reported to the caller
    sys.stderr.write(f"check-powershell: {error}; run scripts/install-deps (it makes the venv)\n")
    sys.exit(2)

PS7_TOKENS = ("&&", "||", "??", "?.", "?[")
TEXT_TYPES = ("string", "comment", "here_string", "string_characters")


def leaves(node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.child_count == 0:
            yield current
        stack.extend(reversed(current.children))


def inside_text(node):
    while node is not None:
        if any(kind in node.type for kind in TEXT_TYPES):
            return True
        node = node.parent
    return False


def problems(parser, source):
    tree = parser.parse(source)
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        line, column = node.start_point[0] + 1, node.start_point[1] + 1
        if node.is_missing:
            found.append((line, column, f"missing {node.type}"))
        elif node.type == "ERROR":
            text = node.text.decode("utf-8", "replace").strip()[:40]
            found.append((line, column, f"syntax error near {text!r}"))
        elif node.type == "pipeline_chain_tail":
            found.append((line, column, "pipeline chain (&& or ||) is PowerShell 7 only"))
        stack.extend(node.children)
    for leaf in leaves(tree.root_node):
        if leaf.type == "ERROR" or inside_text(leaf):
            continue
        text = leaf.text.decode("utf-8", "replace")
        for token in PS7_TOKENS:
            if token in text:
                line, column = leaf.start_point[0] + 1, leaf.start_point[1] + 1
                found.append((line, column, f"{token!r} is PowerShell 7 only"))
    return sorted(set(found))


def main(paths):
    if not paths:
        sys.stderr.write("usage: check-powershell.py FILE...\n")
        return 2
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    failed = False
    for path in paths:
        with open(path, "rb") as handle:
            source = handle.read()
        for line, column, message in problems(parser, source):
            failed = True
            print(f"{path}:{line}:{column}: {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
