"""The render server: a child process of the build that loads WeasyPrint and its fonts once,
then renders the packs it is sent, each in a process forked from it (layout is single-threaded).

It talks to the build only through its standard input and output (length-prefixed pickles); its
standard error goes nowhere, so it never holds the caller's pipes open. It ends, with every
process it forked, when the build closes its input, when the build is gone (even killed with
SIGKILL), or on SIGTERM or SIGINT. Failures come back as the exception's type and where it was
raised, never its message, which could hold a value from a return.

Run as `python -m tees_dataset.render.server WORKERS`."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tees_dataset.errors import describe

HEADER = struct.Struct("!Q")
_children: set[int] = set()


def send(stream: IO[bytes], payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """The next message, or None at the end of the stream."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def stop(process: subprocess.Popen[bytes], *, at_once: bool = False) -> None:
    """End a child process that talks over pipes: close its input (its sign to finish), give
    it two seconds (none `at_once`), then SIGTERM, then SIGKILL; close its output."""
    with contextlib.suppress(OSError):
        if process.stdin:
            process.stdin.close()
    endings = [process.terminate, process.kill]
    if not at_once:
        endings.insert(0, lambda: None)  # it ends itself when its input closes
    for ending in endings:
        if process.poll() is None:
            ending()
        try:
            process.wait(timeout=2)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        process.wait()
    with contextlib.suppress(OSError):
        if process.stdout:
            process.stdout.close()


def _end(code: int) -> None:
    for pid in list(_children):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os._exit(code)


def watch_parent(parent: int, on_gone: Callable[[], None]) -> None:
    """End this process when its parent has gone (its children are then given to another)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        on_gone()

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _render(job: tuple[Any, str, str | None]) -> str | None:
    from tees_dataset.render.pdf import render_pack

    context, pdf, html = job
    try:
        render_pack(context, Path(pdf), Path(html) if html else None)
    except BaseException as exc:
        return describe(exc)
    return None


def _forked(job: tuple[Any, str, str | None], server: int) -> tuple[int, int]:
    """Render `job` in a child of this process; its pid and the pipe its outcome comes on."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, say how it went, and go
        os.close(read_end)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        watch_parent(server, lambda: os._exit(1))
        outcome = _render(job) or ""
        os.write(write_end, outcome.encode("utf-8", "replace")[:500])
        os.close(write_end)
        os._exit(0)
    os.close(write_end)
    _children.add(pid)
    return pid, read_end


def _collect(pid: int, read_end: int) -> str | None:
    chunks = []
    while chunk := os.read(read_end, 4096):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    _children.discard(pid)
    said = b"".join(chunks).decode("utf-8", "replace")
    if said:
        return said
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return "the render process ended abnormally"
    return None


def render_jobs(jobs: list[tuple[Any, str, str | None]], workers: int) -> list[str | None]:
    """Render every job, up to `workers` at once; None for each success, else what failed."""
    if workers < 2 or len(jobs) < 2 or not hasattr(os, "fork"):
        return [_render(job) for job in jobs]
    outcomes: list[str | None] = [None] * len(jobs)
    running: list[tuple[int, int, int]] = []
    server = os.getpid()
    for index, job in enumerate(jobs):
        if len(running) >= workers:
            first, pid, read_end = running.pop(0)
            outcomes[first] = _collect(pid, read_end)
        running.append((index, *_forked(job, server)))
    for index, pid, read_end in running:
        outcomes[index] = _collect(pid, read_end)
    return outcomes


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    workers = int(args[0]) if args else 1
    parent = os.getppid()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: _end(128 + signum))
    watch_parent(parent, lambda: _end(1))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but messages goes to the build
    try:
        from tees_dataset.render.pdf import warm_up

        warm_up()
    except Exception:
        pass
    gc.freeze()  # what is loaded now stays: forked children need not copy it by walking it
    while (jobs := receive(stdin)) is not None:
        send(stdout, render_jobs(jobs, workers))
    _end(0)


if __name__ == "__main__":
    main()
