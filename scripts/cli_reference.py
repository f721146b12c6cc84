"""The README's command reference, written from the CLI's own `--help` by cog.

`make readme` runs `cog -r -I scripts README.md`; `make test` runs `cog --check`, so a change
to a command's options or help that is not carried into the README fails CI. Each command's
help is taken from a real run of the command, in click's plain layout at a fixed width, so
the text is the same on every machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

PROG = "tees-dataset"
# Run the console script's own entry point, named as users type it.
_ENTRY = f"import sys; sys.argv[0] = {PROG!r}; from tees_dataset.cli import main; main()"
_ENV = {
    "TYPER_USE_RICH": "0",  # click's plain layout: no boxes, no colour
    "COLUMNS": "100",
    "NO_COLOR": "1",
    "TERM": "dumb",
}


def help_text(*command: str) -> str:
    """`tees-dataset COMMAND --help`, as the command prints it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEES_DATASET_")} | _ENV
    result = subprocess.run(
        [sys.executable, "-c", _ENTRY, *command, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())


def commands(*path: str) -> Iterator[tuple[str, ...]]:
    """Every command and sub-command, in the order the "Commands:" part of `--help` lists
    them."""
    listing = help_text(*path).partition("\nCommands:\n")[2]
    for line in listing.splitlines():
        match = re.match(r"^  (\S+)", line)
        if match:
            yield (*path, match.group(1))
            yield from commands(*path, match.group(1))


def reference() -> str:
    """Markdown: the top-level help, then each command's in a folded section."""
    parts = ["```text", f"$ {PROG} --help", help_text(), "```", ""]
    for command in commands():
        name = " ".join((PROG, *command))
        parts += [
            f"<details><summary><code>{name}</code></summary>",
            "",
            "```text",
            help_text(*command),
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference())
