"""A second process that reads and computes the oldest quarters of a build while the build's own
process reads the newest: reading is most of what a cold build does before its packs can render,
and one process uses one core of the machine's two (`figures.compute_figures` decides the share).

The process gets the work (the catalogue, the caches' places, the batches of quarters to read)
on its standard input, and sends back each quarter as it is done: who sent what and the issues
found, the quarter's figures, and the rows a quarter the build computes in detail needs of it
(its rolling figures span it). It computes no quarter in detail. It writes the caches itself.
Its standard error goes nowhere; a failure comes back as the exception's type and where it was
raised, never its message (which could hold a value from a return), and the build then reads
those quarters itself (as it does when the process goes silent for `Reader.silence_s`). It
ends when the build closes its input, when the build is gone (even killed with SIGKILL), or on
SIGTERM or SIGINT.

Run as `python -m tees_dataset.reader`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from tees_dataset.quarter import Quarter
from tees_dataset.quarter_work import Planned, QuarterWork
from tees_dataset.render.server import receive, send, stop, watch_parent


@dataclass
class Done:
    """One quarter as the second process read and computed it."""

    returns: Any  # QuarterReturns: its frames only those a later quarter needs
    figures: Any  # polars DataFrame
    recomputed: bool


class Reader:
    """The build's side: start it, give it work, collect what it did."""

    command = (sys.executable, "-m", "tees_dataset.reader")
    # The longest it may go without sending anything (a quarter at 100 times Tees volumes takes
    # it about 5 s): past that it is ended, and the build reads its quarters itself, so that a
    # process that hangs or is stopped never holds a build up for ever.
    silence_s = 300.0

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            list(self.command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self.done: dict[Quarter, Done] = {}
        self.failure: str | None = None
        self.seconds = 0.0
        self._thread: threading.Thread | None = None
        self._heard = time.monotonic()  # when it last sent something

    def submit(self, work: QuarterWork, batches: list[list[Planned]]) -> None:
        """Start on `batches` (oldest first)."""
        process = self.process
        assert process is not None and process.stdin is not None
        try:
            send(process.stdin, (work, batches))
        except (OSError, ValueError) as exc:
            self.failure = exc.__class__.__name__
            return
        self._heard = time.monotonic()
        self._thread = threading.Thread(target=self._collect, name="reader", daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        process = self.process
        assert process is not None and process.stdout is not None
        try:
            while (message := receive(process.stdout)) is not None:
                self._heard = time.monotonic()
                if message[0] == "quarter":
                    _, q, returns, figures, recomputed = message
                    self.done[q] = Done(returns, figures, recomputed)
                elif message[0] == "failed":
                    self.failure = message[1]
                    return
                elif message[0] == "done":
                    self.seconds = message[1]
                    return
            self.failure = "the second process ended before it was done"
        except Exception as exc:  # a broken pipe, a message that cannot be read
            self.failure = exc.__class__.__name__

    @property
    def finished(self) -> bool:
        """Whether it has sent everything it will."""
        return self._thread is None or not self._thread.is_alive()

    def wait_for(self, quarters: set[Quarter]) -> None:
        """Until each of `quarters` has come back, or the second process will send no more."""
        while not self.finished and not quarters <= self.done.keys():
            self._wait(0.05)

    def wait(self) -> None:
        """Until the second process has sent everything it will."""
        while not self.finished:
            self._wait(0.2)

    def _wait(self, seconds: float) -> None:
        """A short wait (a signal is acted on at once); the process is ended if it has been
        silent for longer than `silence_s`."""
        thread = self._thread
        assert thread is not None
        thread.join(seconds)
        if thread.is_alive() and time.monotonic() - self._heard > self.silence_s:
            self.close()  # its output closes, so the thread collecting it ends
            thread.join(5)
            self.failure = f"it sent nothing for {self.silence_s:.0f} s and was ended"

    def close(self) -> None:
        """End the process; idempotent, and quick."""
        process, self.process = self.process, None
        if process is not None:
            stop(process, at_once=True)


def _serve(work: QuarterWork, batches: list[list[Planned]]) -> None:
    from tees_dataset.compute import QuarterData

    started = time.perf_counter()
    stdout = sys.stdout.buffer
    try:
        for batch in batches:
            for returns in work.read(batch):
                q = returns.quarter
                data = QuarterData(returns.frames, returns.acceptance)
                figures, recomputed = work.figures(q, {q: data})
                # Only the rows a quarter computed in detail needs go back (rolling figures).
                kept = (
                    {k: v for k, v in returns.frames.items() if k in work.kept}
                    if q in work.needed
                    else {}
                )
                sent = replace(returns, frames=kept)
                send(stdout, ("quarter", q, sent, figures, recomputed))
        work.close()
    except Exception as exc:
        from tees_dataset.errors import describe

        send(stdout, ("failed", describe(exc)))
        return
    send(stdout, ("done", time.perf_counter() - started))


def main() -> None:
    parent = os.getppid()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: os._exit(128 + signum))

    watch_parent(parent, lambda: os._exit(1))  # the build has gone: so does this
    job = receive(sys.stdin.buffer)
    if job is not None:
        _serve(*job)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
