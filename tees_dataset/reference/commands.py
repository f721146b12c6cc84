"""The `tees-dataset reference` commands. Imported when the command line starts: csv and the
standard library only, with typer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tees_dataset.reference import BENCHMARKS_DIR, Imported, ReferenceFileError
from tees_dataset.reference.files import NEIGHBOUR_DATASET, ONS_DATASET
from tees_dataset.reference.importer import import_file

reference_app = typer.Typer(
    help="Reference data: import published statistics into reference/.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@reference_app.callback()
def _reference() -> None:
    """Reference data: import published statistics into reference/."""


def _describe(done: Imported, source: Path) -> str:
    what = "updated" if done.changed else "unchanged (already up to date)"
    first, last = done.years
    if done.dataset == ONS_DATASET.id:
        return (
            f"{done.path}: {what}; {done.rows} estimates from {source.name} "
            f"({first} to {last}; {', '.join(done.areas)}); every area's estimates in "
            f"{done.path.parent / BENCHMARKS_DIR / (ONS_DATASET.id + '.csv')}"
        )
    if done.dataset == NEIGHBOUR_DATASET:
        return (
            f"{done.path}: {what}; the ten statistical neighbours of each of "
            f"{done.areas[0]} from {source.name} (model {first}; sha256 {done.sha256[:12]})"
        )
    years = str(first) if first == last else f"{first} to {last}"
    return (
        f"{done.path}: {what}; {done.rows} figures from {source.name} ({done.title}, "
        f"publication year {done.publication_year}: {years}; {', '.join(done.areas)}; "
        f"sha256 {done.sha256[:12]})"
    )


@reference_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Published files to import.")],
    reference_dir: Annotated[
        Path, typer.Option("--reference-dir", help="The reference data folder to update.")
    ] = Path("reference"),
) -> None:
    """Import published statistics into the reference folder.

    Each file is recognised by its columns: DfE's Explore Education Statistics downloads of
    the ONS mid-year population estimates (children aged 0 to 17), children in need (b1),
    referrals and re-referrals (c1), child protection plans (d3, d5), children looked after
    (number and rate per 10,000; placement stability) and the children's social work
    workforce (csww), and DfE's statistical neighbour model (sn_model_<year>_wide.csv).
    reference/sources.csv records each file's name, publication year and sha256. Importing
    the same file again changes nothing. Exit 0 when every file was imported, 2 when any was
    not (one line each, saying why).

    Example: tees-dataset reference import ../dfe/*.csv
    """
    failed = False
    for source in files:
        try:
            done = import_file(source, reference_dir)
        except ReferenceFileError as exc:
            typer.echo(f"Error: {exc}", err=True)
            failed = True
            continue
        typer.echo(_describe(done, source))
    raise typer.Exit(2 if failed else 0)
