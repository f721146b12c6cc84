"""Reading indicators.yaml: safe YAML with the line of every key, and duplicate keys caught."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tees_dataset import codes
from tees_dataset.report import Issue, Location

Path_ = tuple[str | int, ...]

# Keys whose values are identifiers: kept as the text written, so `4.1` stays "4.1" and
# `3.10` never becomes 3.1.
_TEXT_KEYS = frozenset({"id", "code", "version", "catalogue_version", "name", "value_label"})


@dataclass
class LoadedYaml:
    """Plain data from a YAML file, with the line of every node by its path."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest node on `path` that exists (steps not in the data are skipped)."""
        node: Any = self.data
        found: Path_ = ()
        best = self.lines.get(())
        for step in path:
            in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
            if not (in_list or (isinstance(node, dict) and step in node)):
                continue  # a step pydantic adds (such as a union tag) that is not in the data
            node = node[step]
            found = (*found, step)
            best = self.lines.get(found, best)
        return best

    def location(self, path: Path_) -> Location:
        return Location(file=self.file, line=self.line_of(path))


class _Constructor(yaml.SafeLoader):
    pass


# libyaml's parser, where PyYAML was built with it: the same nodes about eight times as fast.
_FAST_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    """The YAML's node tree. A file that libyaml cannot parse, or holding a character PyYAML's
    reader refuses, is parsed again by PyYAML itself: its errors are the ones reported."""
    if _FAST_LOADER is not None and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=_Constructor)


def load_yaml(text: str, file: str) -> LoadedYaml:
    """Parse YAML safely, keeping lines; syntax errors and duplicate keys become issues."""
    loaded = LoadedYaml(file=file, data=None)
    try:
        node = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        loaded.issues.append(
            codes.C_YAML_SYNTAX.issue(
                f"the file is not valid YAML: {problem}",
                Location(file, line),
            )
        )
        return loaded
    if node is None:
        loaded.data = {}
        return loaded
    constructor = _Constructor("")
    loaded.data = _build(node, (), loaded, constructor, text_value=False)
    return loaded


def _build(
    node: yaml.Node,
    path: Path_,
    loaded: LoadedYaml,
    constructor: yaml.SafeLoader,
    *,
    text_value: bool,
) -> Any:
    loaded.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                key = str(key)
            if key in out:
                loaded.issues.append(
                    codes.C_DUPLICATE_KEY.issue(
                        f"the key '{key}' appears twice in the same mapping; "
                        "YAML would silently keep only the last one",
                        Location(loaded.file, key_node.start_mark.line + 1),
                    )
                )
            child = (*path, key)
            out[key] = _build(value_node, child, loaded, constructor, text_value=key in _TEXT_KEYS)
            loaded.lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), loaded, constructor, text_value=text_value)
            for index, item in enumerate(node.value)
        ]
    if text_value and isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        return node.value
    return constructor.construct_object(node, deep=True)


def read_yaml(path: Path) -> LoadedYaml:
    """Read and parse a YAML file; an unreadable file becomes an issue, not an exception."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        loaded = LoadedYaml(file=str(path), data=None)
        loaded.issues.append(
            codes.C_UNREADABLE.issue(
                f"cannot read the catalogue: {exc.__class__.__name__}: {exc}",
                Location(str(path)),
            )
        )
        return loaded
    return load_yaml(text, str(path))
