"""Reading a spec file: YAML text -> plain data, plus the line of every field path.

A ``yaml.SafeLoader`` builds plain data and never constructs Python objects. The node tree is kept
so that an error found later, against a field path, can still be reported at its line in the file.
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pinnsolve.errors import SpecError

# A spec is a few levels deep. Deeper documents are refused before the recursion of PyYAML's composer
# and constructor, of copy.deepcopy and of yaml.safe_dump can reach Python's recursion limit.
MAX_NESTING = 50


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false. Under YAML 1.1 rules the key ``on``
    of a boundary condition (and yes/no/off) would silently become a boolean.

    Every malformed input raises a YAMLError: PyYAML itself lets a few Python errors through."""

    _composing = _constructing = 0  # nesting of the recursive calls below

    def compose_node(self, parent, index):
        if self._composing >= MAX_NESTING:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_NESTING} levels deep",
                                              self.peek_event().start_mark)
        self._composing += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._composing -= 1

    def construct_object(self, node, deep=False):
        # Aliases can join nested collections into a longer chain than any one of them.
        if self._constructing >= MAX_NESTING:
            raise yaml.constructor.ConstructorError(None, None, f"nested more than {MAX_NESTING} levels deep",
                                                    node.start_mark)
        self._constructing += 1
        try:
            return super().construct_object(node, deep=deep)
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as error:
            # PyYAML's scalar constructors fail with plain errors: !!int "" (IndexError), !!timestamp ""
            # (AttributeError), !!timestamp 2001-13-45, an integer of 5000 digits (ValueError: beyond
            # Python's int-to-text limit).
            tag = node.tag.rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            shown = value if len(value) < 40 else value[:37] + "..."
            reason = str(error).split("; use sys.")[0]  # not the Python-side remedy of the digit limit
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {shown!r} as {tag} ({reason})",
                                                    node.start_mark) from None
        finally:
            self._constructing -= 1

    def scan_flow_scalar_non_spaces(self, double, start_mark):
        try:
            return super().scan_flow_scalar_non_spaces(double, start_mark)
        except (OverflowError, ValueError):  # chr() of an escape such as "\UFFFFFFFF"
            raise yaml.scanner.ScannerError("while scanning a double-quoted scalar", start_mark,
                                            "found an escape beyond the last Unicode character \\U0010FFFF",
                                            self.get_mark()) from None


def _unique_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """YAML requires the keys of a mapping to be unique; PyYAML would silently keep the last one."""
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, str):  # other keys are refused later; a list key is not even hashable
            if key in seen:
                raise yaml.constructor.ConstructorError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                        lambda loader, node: _unique_mapping(loader, node, deep=True))
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
# YAML 1.2 also reads 1e-3 (no dot) as a number; YAML 1.1 would leave it a string.
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                              list("-+0123456789"))


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The document in the file at ``path`` and its node tree (None for an empty file); every
    failure to read or parse it is a SpecError, at the line and column of the fault when known."""
    try:
        text = path.read_text()
    except OSError as error:
        raise SpecError("", f"cannot read spec {str(path)!r}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SpecError("", f"the spec is not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    try:
        loader = _Loader(text)  # the reader already refuses unprintable characters here
        try:
            node = loader.get_single_node()
            return (loader.construct_document(node) if node is not None else None), node
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as error:  # a character YAML does not allow; it carries a position, not a mark
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        raise SpecError("", f"YAML syntax error: unacceptable character #x{error.character:04x}: {error.reason}",
                        line, column) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "invalid YAML"
        context = getattr(error, "context", None) or ""
        if context.startswith("found"):  # e.g. a duplicate anchor: the context says what, the problem only where
            problem = f"{context.split(';')[0]} ({problem})"
        raise SpecError("", f"YAML syntax error: {problem}", *((mark.line + 1, mark.column + 1) if mark else ())) from None


def _key_lines(root: yaml.Node | None) -> dict[str, int]:
    """The 1-based line of every field path in the YAML node tree (the key's line for a mapping
    entry, the item's line for a list entry). A node reached again through an alias is not walked
    again, so recursive or exponentially aliased documents cost only their size."""
    lines: dict[str, int] = {}
    seen: set[int] = set()
    pending = [("", root)]
    while pending:
        path, node = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    child = f"{path}.{key.value}" if path else key.value
                    lines.setdefault(child, key.start_mark.line + 1)
                    pending.append((child, value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines.setdefault(f"{path}[{i}]", item.start_mark.line + 1)
                pending.append((f"{path}[{i}]", item))
    return lines


def _line_of(path: str, lines: Mapping[str, int]) -> int | None:
    """The line of ``path``, or of its nearest enclosing field (a missing key is reported at the
    line of the mapping it is missing from)."""
    while path:
        if path in lines:
            return lines[path]
        parent = _LAST_COMPONENT.sub("", path, count=1)
        if parent == path:  # a key with brackets in it: no enclosing field to fall back to
            return None
        path = parent
    return None


_LAST_COMPONENT = re.compile(r"(?:\.[^.\[\]]*|\[\d+\]|^[^.\[\]]*)$")  # ".key", "[3]", or the first key
