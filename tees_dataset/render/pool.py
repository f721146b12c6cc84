"""The build's side of the render server (see server.py): started as the build starts, so that
WeasyPrint loads while the returns are read; sent every pack at once; ended with the build,
whatever ends it. `render_all` hands it a build's packs and writes the other outputs meanwhile."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tees_dataset.errors import BuildError
from tees_dataset.render.pack_cache import PackCache, pack_key
from tees_dataset.render.server import receive, send, stop


class RenderPool:
    """One render server process; `render` blocks until every pack it is given is written."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "tees_dataset.render.server", str(self.workers)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def render(self, jobs: list[tuple[Any, Path, Path | None]]) -> None:
        process = self.process
        if process is None or process.stdin is None or process.stdout is None:
            raise BuildError("the render process is not running")
        try:
            send(
                process.stdin, [(c, str(pdf), str(html) if html else None) for c, pdf, html in jobs]
            )
            outcomes = receive(process.stdout)
        except (BrokenPipeError, OSError, EOFError) as exc:
            raise BuildError(
                f"the render process ended before the packs were written ({exc.__class__.__name__})"
            ) from exc
        if outcomes is None:
            raise BuildError("the render process ended before the packs were written")
        failed = [
            f"{Path(pdf).name}: {outcome}"
            for (_, pdf, _), outcome in zip(jobs, outcomes, strict=True)
            if outcome
        ]
        if failed:
            raise BuildError("rendering failed (" + "; ".join(failed) + ")")

    def close(self) -> None:
        """End the server and everything it forked; idempotent, and quick."""
        process, self.process = self.process, None
        if process is not None:
            stop(process)  # SIGTERM's handler ends the packs it forked, then itself

    def abort(self) -> None:
        """End the server at once (the build failed or was interrupted)."""
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):
                process.terminate()
        self.close()


def start_render_pool(packs: int) -> RenderPool | None:
    """The render server: one process that loads WeasyPrint once and forks a renderer per pack,
    up to the number of CPUs (WeasyPrint layout is single-threaded)."""
    if packs < 1:
        return None
    return RenderPool(min(packs, os.cpu_count() or 1))


def render_all(
    contexts: list[Any],
    staging: Path,
    *,
    html: bool,
    pool: RenderPool | None = None,
    meanwhile: Callable[[], None] | None = None,
    cache: PackCache | None = None,
) -> int:
    """Render every pack in the render server, running `meanwhile` in this process as they
    render; without a server (a test, the benchmark's floor), one after another here. A pack
    whose content is in `cache` is linked from there instead. Returns how many were rendered."""
    jobs = [
        (
            c,
            staging / f"{c.partnership_id}-{c.quarter}.pdf",
            staging / f"{c.partnership_id}-{c.quarter}.html" if html else None,
        )
        for c in contexts
    ]
    keys: dict[Path, str] = {}
    if cache is not None:
        for job in list(jobs):
            key = pack_key(job[0], html=html, salt=cache.salt)
            if cache.take(key, job[1], job[2]):
                jobs.remove(job)
            else:
                keys[job[1]] = key
    _render_jobs(jobs, pool, meanwhile)
    if cache is not None:
        for _, pdf, html_path in jobs:
            cache.keep(keys[pdf], pdf, html_path)
        cache.prune()
    return len(jobs)


def _render_jobs(
    jobs: list[tuple[Any, Path, Path | None]],
    pool: RenderPool | None,
    meanwhile: Callable[[], None] | None,
) -> None:
    if pool is None or not jobs:
        from tees_dataset.render.pdf import render_pack

        for job in jobs:
            render_pack(*job)
        if meanwhile:
            meanwhile()
        return
    failure: list[BaseException] = []

    def render() -> None:
        try:
            pool.render(jobs)
        except BaseException as exc:  # handed to the main thread below
            failure.append(exc)

    thread = threading.Thread(target=render, name="render", daemon=True)
    thread.start()
    if meanwhile:
        meanwhile()
    while thread.is_alive():  # in short waits, so that a signal is acted on at once
        thread.join(0.2)
    if failure:
        raise failure[0]
