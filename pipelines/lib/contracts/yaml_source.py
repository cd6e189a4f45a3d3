"""YAML configuration files read with the line of every key, and problems reported against them.

Every configuration file of the project (feed and table contracts, the sharing policy, the
city profile) is validated the same way: all problems at once, each as
`file:line: key.path: message`, so whoever edits one fixes it in one round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


class ContractError(Exception):
    """One or more contract problems; str() is one `file:line: key: message` per line."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("\n".join(self.messages))


def display_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.absolute().relative_to(root.absolute()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def key_path_text(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(root)"


@dataclass
class Problems:
    """Collects messages for one file, resolving key paths to YAML lines."""

    display: str
    lines: dict[KeyPath, int] = field(default_factory=dict)
    messages: list[tuple[int, str]] = field(default_factory=list)
    # Keys whose problem is reported already (by the schema): later rules stay quiet at and
    # below them, so one mistake is one message, not its symptoms too.
    settled: list[KeyPath] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int:
        # A value the file does not spell out (a default, a missing key) is
        # reported at the nearest enclosing key that it does.
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return self.lines.get((), 1)

    def settle(self, paths: Sequence[KeyPath]) -> None:
        self.settled.extend(paths)

    def settled_within(self, path: KeyPath) -> bool:
        """Whether a key at or below `path` was reported already."""
        return any(done[: len(path)] == path for done in self.settled)

    def _is_settled(self, path: KeyPath) -> bool:
        return any(path[: len(done)] == done for done in self.settled)

    def add(self, path: KeyPath, message: str, at: KeyPath | None = None) -> None:
        if self._is_settled(path) or (at is not None and self._is_settled(at)):
            return
        line = self.line_of(path if at is None else at)
        entry = (line, f"{self.display}:{line}: {key_path_text(path)}: {message}")
        if entry not in self.messages:  # jsonschema reports some errors twice
            self.messages.append(entry)

    def sorted_messages(self) -> list[str]:
        return [message for _, message in sorted(self.messages, key=lambda entry: entry[0])]


_NO_TIMESTAMPS = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlLoader(yaml.CSafeLoader):
    """SafeLoader (on libyaml, several times faster) that keeps unquoted dates as strings.

    ODCS is a JSON Schema, so a contract must mean what its JSON would: YAML 1.1
    would turn `dateIn: 2024-01-01` into a date object that fails `type: string`.
    """

    yaml_implicit_resolvers = _NO_TIMESTAMPS


class _PythonYamlLoader(yaml.SafeLoader):
    """The same in pure Python, for its messages: libyaml says "found character that cannot
    start any token" where it says which ('\\t')."""

    yaml_implicit_resolvers = _NO_TIMESTAMPS


def parse_yaml(text: str, problems: Problems) -> Any:
    lines, messages = dict(problems.lines), list(problems.messages)
    try:
        return _parse(YamlLoader(text), problems)
    except yaml.MarkedYAMLError:
        problems.lines, problems.messages = lines, messages  # the second reading records them again
        try:
            return _parse(_PythonYamlLoader(text), problems)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else 1
            problems.messages.append((line, f"{problems.display}:{line}: (yaml): {error.problem}"))
            return None


def _parse(loader: yaml.CSafeLoader | yaml.SafeLoader, problems: Problems) -> Any:
    try:
        node = loader.get_single_node()
        if node is None:
            problems.add((), "empty file")
            return None
        problems.lines[()] = node.start_mark.line + 1  # the first key, after any comments
        _record_lines(node, (), problems)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _record_lines(node: yaml.Node, path: KeyPath, problems: Problems) -> None:
    """Record the line of every mapping key and sequence item; flag duplicate keys.

    PyYAML keeps the last of two equal keys without a word, which would hide
    half of a contract edit.
    """
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key_path = (*path, key_node.value)
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                problems.messages.append(
                    (line, f"{problems.display}:{line}: {key_path_text(key_path)}: duplicate key")
                )
            else:
                seen.add(key_node.value)
                problems.lines[key_path] = line
            _record_lines(value_node, key_path, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems.lines[(*path, index)] = item.start_mark.line + 1
            _record_lines(item, (*path, index), problems)
