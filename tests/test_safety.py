"""Safe with real data: a build never deletes or replaces what it did not write, a mistyped
path never replaces a good pack, every process it starts ends with it, signals are obeyed,
every failure is one line, and a pack built from synthetic returns says so on every page."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from tees_dataset.catalogue.models import Catalogue
from tees_dataset.cli import app
from tees_dataset.errors import BuildError
from tees_dataset.output import SYNTHETIC_MARK, recover, strangers
from tees_dataset.quarter import Quarter
from tees_dataset.settings import resolve_folder

from .fixture_returns import write_fixture
from .test_unattended import alive, descendants

ROOT = Path(__file__).resolve().parent.parent
CAT = ["--catalogue", str(ROOT / "indicators.yaml")]
MAIN = [sys.executable, "-c", "from tees_dataset.cli import main; main()"]


def checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def build_args(returns: Path, out: Path, *extra: str) -> list[str]:
    return ["build", "--quarter", "2024Q3", "--returns", str(returns), "--out", str(out), *CAT,
            *extra]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> tuple[Path, Path]:
    """Returns of the fixture quarter, and a good build of them (exit 1: one is rejected)."""
    base = tmp_path_factory.mktemp("safety")
    write_fixture(catalogue, base / "returns")
    result = CliRunner().invoke(app, build_args(base / "returns", base / "out"))
    assert result.exit_code == 1, result.output
    return base / "returns", base / "out"


@pytest.fixture
def copy(built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the returns and of the good build, for a test to spoil."""
    returns, out = built
    shutil.copytree(returns, tmp_path / "returns")
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "returns", tmp_path / "out"


# Never lose what it did not write -------------------------------------------------------------


@pytest.mark.parametrize("where", ["same", "inside", "contains"])
def test_an_output_folder_that_is_in_or_around_the_returns_is_refused(
    copy: tuple[Path, Path], where: str
) -> None:
    returns, _ = copy
    before = checksums(returns)
    out = {"same": returns, "inside": returns / "2024Q3" / "x", "contains": returns.parent}[where]
    result = CliRunner().invoke(app, build_args(returns, out))
    assert result.exit_code == 2, result.output
    assert "returns folder" in result.output and "nothing was written" in result.output
    assert checksums(returns) == before
    assert not (returns / "2024Q3" / "x").exists()


def test_a_folder_holding_files_it_did_not_write_is_never_replaced(copy: tuple[Path, Path]) -> None:
    returns, out = copy
    (out / "2024Q3" / "notes.txt").write_text("the analyst's own notes")
    before = checksums(out / "2024Q3")
    result = CliRunner().invoke(app, build_args(returns, out))
    assert result.exit_code == 2 and "notes.txt" in result.output, result.output
    assert checksums(out / "2024Q3") == before
    # A file it wrote but someone changed since is not its own any more either.
    (out / "2024Q3" / "notes.txt").unlink()
    (out / "2024Q3" / "results.csv").write_text("edited by hand")
    assert strangers(out / "2024Q3") == ["results.csv"]
    # A folder with no manifest (someone else's) is refused; an empty one may be used.
    other = out / "elsewhere"
    other.mkdir()
    (other / "a.pdf").write_text("x")
    assert strangers(other) == ["a.pdf"]
    (other / "a.pdf").unlink()
    assert strangers(other) == []


def test_recovery_deletes_only_folders_it_marked(tmp_path: Path) -> None:
    (tmp_path / ".staging-2024Q3-1").mkdir()
    (tmp_path / ".staging-2024Q3-1" / "keep.txt").write_text("not ours")
    (tmp_path / ".old-2024Q3-2").mkdir()
    (tmp_path / ".old-2024Q3-2" / "keep.txt").write_text("not ours")
    recover(tmp_path, "2024Q3")
    assert (tmp_path / ".staging-2024Q3-1" / "keep.txt").is_file()
    assert (tmp_path / ".old-2024Q3-2" / "keep.txt").is_file()
    assert not (tmp_path / "2024Q3").exists()


@pytest.mark.parametrize("mistake", ["missing", "file", "empty", "no-quarter-yet"])
def test_a_mistyped_returns_folder_never_replaces_a_good_pack(
    copy: tuple[Path, Path], tmp_path: Path, mistake: str
) -> None:
    _, out = copy
    before = checksums(out / "2024Q3")
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "empty" / "2024Q3").mkdir(parents=True)
    (tmp_path / "later" / "2024Q2").mkdir(parents=True)
    returns = {"missing": tmp_path / "nope", "file": tmp_path / "a-file",
               "empty": tmp_path / "empty", "no-quarter-yet": tmp_path / "later"}[mistake]  # fmt: skip
    result = CliRunner().invoke(app, build_args(returns, out))
    expected = 2 if mistake in ("missing", "file") else 5
    assert result.exit_code == expected, result.output
    assert ("no return for 2024Q3" if expected == 5 else "check the path") in result.output
    assert checksums(out / "2024Q3") == before


def test_folders_come_from_the_command_line_environment_or_config_never_the_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = tmp_path / "indicators.yaml"
    monkeypatch.delenv("TEES_DATASET_RETURNS", raising=False)
    monkeypatch.delenv("TEES_DATASET_OUT", raising=False)
    with pytest.raises(BuildError) as missing:
        resolve_folder("returns", None, catalogue)
    assert missing.value.code == 2 and "TEES_DATASET_RETURNS" in str(missing.value)
    (tmp_path / "tees-dataset.toml").write_text('returns = "incoming"\nout = "/srv/packs"\n')
    assert resolve_folder("returns", None, catalogue) == (
        tmp_path / "incoming",
        f"config file {tmp_path / 'tees-dataset.toml'}",
    )
    monkeypatch.setenv("TEES_DATASET_RETURNS", "/srv/returns")
    assert resolve_folder("returns", None, catalogue) == (
        Path("/srv/returns"),
        "environment TEES_DATASET_RETURNS",
    )
    assert resolve_folder("returns", Path("given"), catalogue) == (Path("given"), "command line")
    (tmp_path / "tees-dataset.toml").write_text("returns = [1]\n")
    monkeypatch.delenv("TEES_DATASET_RETURNS")
    with pytest.raises(BuildError, match="must be a folder path"):
        resolve_folder("returns", None, catalogue)
    # On the command line, with neither: a usage error, nothing read or written.
    monkeypatch.chdir(ROOT)  # where sample_returns/ is: it must not be used
    result = CliRunner().invoke(app, ["build", "--quarter", "2024Q3", "--out", str(tmp_path), *CAT])
    assert result.exit_code == 2 and "say which returns folder" in result.output


def test_template_and_sample_never_replace_a_return(copy: tuple[Path, Path]) -> None:
    returns, _ = copy
    before = checksums(returns)
    folder = returns / "2024Q3"
    runner = CliRunner()
    template = runner.invoke(app, ["template", "--quarter", "2024Q3", "--out", str(folder), *CAT])
    assert template.exit_code == 2 and "never replace" in template.output, template.output
    sample = runner.invoke(app, ["sample", "--quarters", "2024Q3", "--out", str(returns), *CAT])
    assert sample.exit_code == 2 and "not a synthetic sample" in sample.output, sample.output
    assert checksums(returns) == before


def test_validate_keeps_the_manifest_true(copy: tuple[Path, Path]) -> None:
    returns, out = copy
    pdf = (out / "2024Q3" / "HSSCP-2024Q3.pdf").read_bytes()
    result = CliRunner().invoke(
        app,
        [
            "validate",
            "--quarter",
            "2024Q3",
            "--returns",
            str(returns),
            "--out",
            str(out),
            "--wait",
            "5",
            *CAT,
        ],
    )
    assert result.exit_code == 1, result.output
    manifest = json.loads((out / "2024Q3" / "manifest.json").read_text())
    assert manifest["outputs"] == {
        k: v for k, v in checksums(out / "2024Q3").items() if k != "manifest.json"
    }
    assert "validation" in manifest and manifest["validation"]["refreshed"]
    assert (out / "2024Q3" / "HSSCP-2024Q3.pdf").read_bytes() == pdf
    assert strangers(out / "2024Q3") == []  # so the next build may replace it


# Processes end, signals work, every failure is one line --------------------------------------


FAILING = """
import sys, time
from tees_dataset import build
def boom(catalogue, loaded, options, starting=None):
    if starting is not None:
        starting()  # the render server starts as the reading does
    time.sleep(3)  # the render server is up and forking by now
    raise RuntimeError("CHILD-SECRET-999 in a message that must not be shown")
build.compute_figures = boom
from tees_dataset.cli import main
main()
"""


def test_a_failing_build_with_captured_output_returns_promptly_and_leaves_no_process(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    returns, _ = built
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            FAILING,
            "--log-format",
            "plain",
            *build_args(returns, tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    while process.poll() is None and time.monotonic() - started < 60:
        seen.update(descendants(process.pid))
        time.sleep(0.05)
    # The caller's pipes close when the build ends: nothing it started holds them.
    stdout, stderr = process.communicate(timeout=10)
    assert time.monotonic() - started < 30
    assert seen, "the render server should have been started"
    assert process.returncode == 3, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "RuntimeError at" in lines[0], stderr
    assert "CHILD-SECRET" not in stderr + stdout
    assert not list((tmp_path / "out").glob(".staging-*"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(p) for p in seen):
        time.sleep(0.1)
    assert not [p for p in seen if alive(p)]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_build_pid_is_obeyed_and_previous_outputs_kept(
    copy: tuple[Path, Path], sig: signal.Signals
) -> None:
    returns, out = copy
    before = checksums(out / "2024Q3")

    def ignore_sigint() -> None:  # as a background job of a shell script starts
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = subprocess.Popen(
        [*MAIN, "--log-format", "plain", *build_args(returns, out, "--no-cache")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ignore_sigint,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob(".staging-*/validation.json")):
        time.sleep(0.05)
    children = descendants(process.pid)
    assert children, "the render server should be running"
    os.kill(process.pid, sig)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 128 + sig, stderr
    assert f"stopped by {sig.name}" in stderr.decode()
    assert checksums(out / "2024Q3") == before
    assert not list(out.glob(".staging-*"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in children):
        time.sleep(0.1)
    assert not [p for p in children if alive(p)]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["validate", "--quarter", "2024Q3"], 3, "cannot read or write files"),
        (["template", "--quarter", "2024Q3"], 3, "cannot read or write files"),
        (["sample", "--quarters", "2024Q3", "--scale", "0.05"], 3, "cannot read or write files"),
        (["build", "--quarter", "1900Q1"], 2, "outside the quarters tees-dataset supports"),
        (["schema"], 2, "is a folder"),
    ],
)
def test_every_failure_is_one_line_and_its_exit_code(
    built: tuple[Path, Path], tmp_path: Path, args: list[str], code: int, words: str
) -> None:
    returns, _ = built
    (tmp_path / "a-file").write_text("in the way")
    out = tmp_path if args[0] == "schema" else tmp_path / "a-file"
    extra = [] if args[0] in ("template", "sample", "schema") else ["--returns", str(returns)]
    catalogue = [] if args[0] == "schema" else CAT
    result = subprocess.run(
        [*MAIN, "--log-format", "plain", *args, *extra, "--out", str(out), *catalogue],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == code, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_version_alone() -> None:
    result = subprocess.run([*MAIN, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("tees-dataset ")


# Synthetic returns are marked everywhere; the JSON log is all that reaches stderr -------------


def test_a_build_from_samples_is_marked_synthetic_and_stderr_holds_only_the_json_log(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    from tees_dataset.returns.read import Workbook
    from tees_dataset.returns.sample import write_samples

    paths = write_samples(catalogue, [Quarter(2024, 3)], tmp_path / "samples", scale=0.05)
    assert Workbook(paths[0]).metadata()["synthetic"] == "true"
    env = {**os.environ, "TEES_DATASET_RETURNS": str(tmp_path / "samples"),
           "TEES_DATASET_OUT": str(tmp_path / "out")}  # fmt: skip
    result = subprocess.run(
        [*MAIN, "--log-format", "json", "build", "--quarter", "2024Q3", *CAT],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert any(e.get("event") == "outcome" for e in events)
    folder = tmp_path / "out" / "2024Q3"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["warning"] == SYNTHETIC_MARK
    assert manifest["folders"]["returns_from"] == "environment TEES_DATASET_RETURNS"
    assert "reference/population.csv" in {r["path"] for r in manifest["reference"]}
    for pack in ("HSSCP-2024Q3.pdf", "STSCP-2024Q3.pdf"):
        pages = PdfReader(folder / pack).pages
        assert all(SYNTHETIC_MARK in " ".join(p.extract_text().split()) for p in pages), pack
    about = load_workbook(folder / "dataset-2024Q3.xlsx")["About"]
    assert about["A1"].value == SYNTHETIC_MARK
    first = load_workbook(folder / "validation.xlsx").worksheets[0]
    assert first["A1"].value == SYNTHETIC_MARK
    assert SYNTHETIC_MARK in result.stdout


def test_a_quarter_folder_linked_from_outside_is_refused_before_anything_is_written(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    returns, _ = built
    (tmp_path / "returns").mkdir()
    (tmp_path / "returns" / "2024Q3").symlink_to(returns / "2024Q3")
    result = CliRunner().invoke(app, build_args(tmp_path / "returns", tmp_path / "out"))
    assert result.exit_code == 2 and "outside the returns folder" in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_names_with_terminal_escapes_are_shown_escaped() -> None:
    from tees_dataset.report import Issue, Level, Location

    issue = Issue(Level.ERROR, "F-X", "see \x1b[2Jfile", Location("a\x1b[31m.xlsx", sheet="S\x07"))
    assert "\x1b" not in str(issue) and "\x07" not in str(issue)
    assert str(issue).startswith("a\\x1b[31m.xlsx › S\\x07: error F-X: see \\x1b[2Jfile")


MEANWHILE = """
import sys
from pathlib import Path
from tees_dataset import build
compute = build.compute_figures
def compute_then_add_a_file(catalogue, loaded, options, *more):
    figures = compute(catalogue, loaded, options, *more)
    (options.out_dir / "2024Q3" / "reply.docx").write_text("written while the build ran")
    return figures
build.compute_figures = compute_then_add_a_file
from tees_dataset.cli import main
main()
"""


def test_a_file_put_in_the_pack_folder_while_a_build_runs_is_kept(
    copy: tuple[Path, Path],
) -> None:
    returns, out = copy
    before = checksums(out / "2024Q3")
    result = subprocess.run(
        [sys.executable, "-c", MEANWHILE, "--log-format", "plain",
         *build_args(returns, out, "--no-cache")],  # a build, not "unchanged"
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2 and "reply.docx" in result.stderr, result.stderr
    assert (out / "2024Q3" / "reply.docx").read_text() == "written while the build ran"
    assert {k: v for k, v in checksums(out / "2024Q3").items() if k != "reply.docx"} == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".old")) == []


def test_validate_marks_the_workbooks_of_synthetic_returns(tmp_path: Path) -> None:
    """`validate` over the samples: every workbook it writes opens on the synthetic-data mark."""
    from tees_dataset.render.xlsx_marks import MARK_SHEET

    result = CliRunner().invoke(app, ["validate", "--quarter", "2024Q3", "--returns",
                                      str(ROOT / "sample_returns"), "--out", str(tmp_path), *CAT])  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "2024Q3"
    workbooks = [folder / "validation.xlsx", *sorted((folder / "feedback").glob("*.xlsx"))]
    assert len(workbooks) > 1
    for path in workbooks:
        wb = load_workbook(path)
        assert wb.sheetnames[0] == MARK_SHEET and wb.worksheets[0]["A1"].value == SYNTHETIC_MARK


def test_validate_carries_over_only_the_files_its_manifest_lists(copy: tuple[Path, Path]) -> None:
    from tees_dataset.output import link_files as _link_files
    from tees_dataset.output import read_manifest

    _, out = copy
    final = out / "2024Q3"
    manifest = read_manifest(final)
    assert manifest is not None
    (final / "late.txt").write_text("appeared after the check")
    target = out / "linked"
    target.mkdir()
    _link_files(final, target, manifest["outputs"], skip=("feedback",))
    assert not (target / "late.txt").exists()
    assert (target / "results.csv").is_file() and not (target / "feedback").exists()


def test_recovery_tells_a_quarter_from_its_published_variant(tmp_path: Path) -> None:
    manifest = json.dumps({"tool": {"name": "tees-dataset"}, "outputs": {}})
    (tmp_path / "2024Q3").mkdir()
    (tmp_path / "2024Q3" / "manifest.json").write_text(manifest)
    aside = tmp_path / ".old-2024Q3-published-99"
    aside.mkdir()
    (aside / "manifest.json").write_text(manifest)
    recover(tmp_path, "2024Q3")
    assert aside.is_dir()  # 2024Q3-published's, not 2024Q3's
    recover(tmp_path, "2024Q3-published")
    assert (tmp_path / "2024Q3-published" / "manifest.json").is_file() and not aside.exists()


def test_a_pipe_in_the_pack_folder_is_a_stranger_and_nothing_waits_on_it(
    copy: tuple[Path, Path],
) -> None:
    _, out = copy
    (out / "2024Q3" / "results.csv").unlink()
    os.mkfifo(out / "2024Q3" / "results.csv")
    assert strangers(out / "2024Q3") == ["results.csv"]


def test_only_another_quarters_returns_is_no_return_at_all(
    copy: tuple[Path, Path], tmp_path: Path, catalogue: Catalogue
) -> None:
    _, out = copy
    before = checksums(out / "2024Q3")
    wrong = tmp_path / "wrong"
    write_fixture(catalogue, wrong)
    (wrong / "2024Q3").rename(wrong / "2024Q2")  # 2024Q3's returns in 2024Q2's folder
    result = CliRunner().invoke(
        app, ["build", "--quarter", "2024Q2", "--returns", str(wrong), "--out", str(out), *CAT]
    )
    # Those files are 2024Q3's: for 2024Q2 nothing was found, so nothing is written.
    assert result.exit_code == 5, result.output
    assert not (out / "2024Q2").exists() and checksums(out / "2024Q3") == before


def test_a_sample_build_never_replaces_a_real_pack(
    copy: tuple[Path, Path], tmp_path: Path, catalogue: Catalogue
) -> None:
    from tees_dataset.returns.sample import write_samples

    _, out = copy
    before = checksums(out / "2024Q3")
    write_samples(catalogue, [Quarter(2024, 3)], tmp_path / "samples", scale=0.05)
    result = CliRunner().invoke(app, build_args(tmp_path / "samples", out))
    assert result.exit_code == 2 and "synthetic" in result.output, result.output
    assert checksums(out / "2024Q3") == before


def test_usage_errors_are_one_line_in_the_logs_format() -> None:
    plain = subprocess.run([*MAIN, "build", "--bogus"], capture_output=True, text=True, timeout=60)
    assert plain.returncode == 2 and len(plain.stderr.strip().splitlines()) == 1, plain.stderr
    assert "--bogus" in plain.stderr
    as_json = subprocess.run(
        [*MAIN, "--log-format", "json", "build"], capture_output=True, text=True, timeout=60
    )
    assert as_json.returncode == 2
    line = json.loads(as_json.stderr)
    assert line["level"] == "error" and "--quarter" in line["message"]


def test_the_same_folder_by_another_path_is_still_the_returns_folder(tmp_path: Path) -> None:
    from tees_dataset.output import check_folders

    (tmp_path / "returns").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "returns")
    with pytest.raises(BuildError, match="lies inside"):
        check_folders(tmp_path / "returns", tmp_path / "alias" / "packs")
    with pytest.raises(BuildError, match="contains"):
        check_folders(tmp_path / "alias" / "2024", tmp_path)


def test_a_rebuild_over_unchanged_inputs_writes_nothing_and_keeps_its_outcome(
    copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tees_dataset import fingerprint

    returns, out = copy
    runner = CliRunner()
    first = runner.invoke(app, build_args(returns, out))  # the manifest now records its inputs
    assert first.exit_code == 1, first.output
    before = checksums(out / "2024Q3")
    stamp = (out / "2024Q3" / "manifest.json").stat().st_mtime_ns
    again = runner.invoke(app, build_args(returns, out))
    assert again.exit_code == 1 and again.output.startswith("Unchanged since the last build")
    files = first.output.split(": ", 1)[1].split(" files")[0]
    assert f": {files} files" in again.output  # the same outputs, counted the same way
    assert not (out / "2024Q3" / ".tees-dataset-staging").exists()
    assert "Strategy discussions rejected" in again.output  # what is missing is still said
    assert checksums(out / "2024Q3") == before
    assert (out / "2024Q3" / "manifest.json").stat().st_mtime_ns == stamp
    # A different tool (its code changed) builds afresh, and so does a changed return.
    monkeypatch.setattr(fingerprint, "code_sha256", lambda: "another version of the code")
    assert runner.invoke(app, build_args(returns, out)).output.startswith("Built")
    monkeypatch.undo()
    (returns / "2024Q3" / "received.csv").write_text("agency,received\n")
    assert runner.invoke(app, build_args(returns, out)).output.startswith("Built")
    # --no-cache always builds.
    assert runner.invoke(app, build_args(returns, out, "--no-cache")).output.startswith("Built")


def test_a_signal_that_a_library_swallows_still_stops_the_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """openpyxl's descriptors turn any exception into TypeError with a bare `except:`: a signal
    arriving there must still end the command as a signal (exit 143), never as a fault, and
    nothing may go into place after it."""
    import typer

    from tees_dataset import signals
    from tees_dataset.cli_errors import guard
    from tees_dataset.errors import Interrupted

    monkeypatch.setitem(signals._state, "received", None)

    def library() -> None:
        try:
            signals._handler(signal.SIGTERM, None)
        except:  # noqa: E722 (as the library does)
            raise TypeError("expected <class 'int'>") from None

    with pytest.raises(typer.Exit) as stopped, guard("build"):
        library()
    assert stopped.value.exit_code == 128 + signal.SIGTERM
    with pytest.raises(Interrupted):
        signals.raise_pending()  # what swap_into_place calls first
