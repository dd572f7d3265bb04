#!/usr/bin/env python3
"""Checks PowerShell scripts against an independent grammar, for Windows PowerShell 5.1.

    check-powershell.py FILE...     exit 0 when every file passes, 1 otherwise (one line per problem)

Each file is parsed with tree-sitter-powershell (PyPI `tree-sitter`, `tree-sitter-powershell`). A file fails
on any ERROR or MISSING node, and on PowerShell 7 syntax that the grammar accepts but Windows PowerShell 5.1
rejects: pipeline chains (`&&`, `||`). The grammar already refuses the other PowerShell 7 operators (`?:`,
`??`, `??=`, `?.`, `?[]`) as ERROR nodes; they are also looked for in every token outside strings and
comments, so that a later grammar accepting them still fails here.

A file also fails on each variable read (`$x`, `${x}`, `@x`; in double-quoted strings and here-strings too:
`"$x $($y)"`) whose name, compared without case and without a `global:`, `script:`, `local:`, `private:`,
`using:` or `variable:` scope, is set nowhere in the file: not an assignment's target (`$x =`, `$a, $b =`,
`[int]$x =`, `$x +=`, `$x++`, `--$x`), a `foreach` variable or a parameter (`param(...)`, `function F($x)`, a
class method's), nor an automatic or preference variable of Windows PowerShell 5.1 (AUTOMATIC; PowerShell 6+
ones such as `$IsWindows` count as unset). `$env:` and other drive-qualified names are not checked. A `[ref]$x`
argument and `-OutVariable x`, `-ErrorVariable x`, `-PipelineVariable x` do not set `$x`; `catch` binds nothing
(`$_` is automatic). Two globals may be read unset (CROSS_SCRIPT): `$global:CoordinatorInput`, which the
bootstrap (Sources/Worker/Windows/WindowsBootstrap.swift) sets for the script it runs, and
`$global:CoordinatorRun`, which the prelude of every rendered script tests before it reads it
(Sources/Worker/Shell/RemoteShell+PowerShell.swift) and only a script with a run directory sets
(Sources/Worker/Windows/WindowsRunDirectory.swift).

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

# The automatic and preference variables of Windows PowerShell 5.1 (about_Automatic_Variables,
# about_Preference_Variables), lower case. PowerShell 6+ only ones ($IsWindows, $IsLinux, ...) are absent: 5.1
# reads them as $null.
AUTOMATIC = frozenset(name.lower() for name in """
    $ ? ^ _ args ConsoleFileName Error Event EventArgs EventSubscriber ExecutionContext false foreach HOME Host
    input LASTEXITCODE Matches MyInvocation NestedPromptLevel null PID PROFILE PSBoundParameters PSCmdlet
    PSCommandPath PSCulture PSDebugContext PSHOME PSItem PSScriptRoot PSSenderInfo PSUICulture PSVersionTable PWD
    Sender ShellId StackTrace switch this true
    ConfirmPreference DebugPreference ErrorActionPreference ErrorView FormatEnumerationLimit InformationPreference
    LogCommandHealthEvent LogCommandLifecycleEvent LogEngineHealthEvent LogEngineLifecycleEvent
    LogProviderHealthEvent LogProviderLifecycleEvent MaximumAliasCount MaximumDriveCount MaximumErrorCount
    MaximumFunctionCount MaximumHistoryCount MaximumVariableCount OFS OutputEncoding ProgressPreference
    PSDefaultParameterValues PSEmailServer PSModuleAutoLoadingPreference PSSessionApplicationName
    PSSessionConfigurationName PSSessionOption Transcript VerbosePreference WarningPreference WhatIfPreference
""".split())
# Globals the scripts the coordinator sends read without setting them in the same file, lower case (see the
# module docstring).
CROSS_SCRIPT = frozenset(["coordinatorinput", "coordinatorrun"])
SCOPES = ("global", "script", "local", "private", "using", "variable")
# Nodes between a variable and the left_assignment_expression it is the target of: `$a`, `$a, $b`, `[int]$a`.
TARGET_PATH = (
    "logical_expression", "bitwise_expression", "comparison_expression", "additive_expression",
    "multiplicative_expression", "format_expression", "range_expression", "array_literal_expression",
    "unary_expression", "expression_with_unary_operator", "cast_expression",
)
# Nodes whose variable child binds it: `foreach ($x in ...)`, `param($x)`, `function F($x)`, class methods' `($x)`.
BINDERS = ("foreach_statement", "script_parameter", "class_method_parameter")
# Nodes that set the variable TARGET_PATH leads to: `$x = ...` (and `+=` and the like), `$x++`, `--$x`.
SETTERS = ("left_assignment_expression", "post_increment_expression", "pre_increment_expression",
    "post_decrement_expression", "pre_decrement_expression")


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


def variable_name(node):
    """The lower-case name a variable node reads or sets, scope removed; None for `$env:` and other drives."""
    text = node.text.decode("utf-8", "replace")[1:]
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    scope, colon, rest = text.partition(":")
    if colon:
        if scope.lower() not in SCOPES:
            return None
        text = rest
    return text.lower()


def assigns(node):
    """Whether a variable node is set where it stands rather than read."""
    parent = node.parent
    if parent.type in BINDERS:
        return True
    while parent is not None and parent.type in TARGET_PATH:
        if parent.type not in ("array_literal_expression", "cast_expression") and parent.named_child_count != 1:
            return False
        parent = parent.parent
    return parent is not None and parent.type in SETTERS


def unassigned(root):
    """Each variable read whose name is set nowhere in the file and is neither automatic nor CROSS_SCRIPT (a class
    property's declaration is neither a read nor a variable)."""
    assigned, reads = set(), []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "variable" or node.parent.type == "class_property_definition":
            continue
        name = variable_name(node)
        if name is None:
            continue
        if assigns(node):
            assigned.add(name)
        else:
            reads.append((node, name))
    found = []
    for node, name in reads:
        if name not in assigned and name not in AUTOMATIC and name not in CROSS_SCRIPT:
            line, column = node.start_point[0] + 1, node.start_point[1] + 1
            text = node.text.decode("utf-8", "replace")
            found.append((line, column, f"variable {text} is read but never assigned"))
    return found


def problems(parser, source):
    tree = parser.parse(source)
    found = unassigned(tree.root_node)
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
