"""Imported once by the render pool's fork server (Linux, macOS): WeasyPrint and its fonts are
loaded there, so that every render worker forked from the server starts ready instead of loading
them itself."""

from __future__ import annotations

import contextlib
import gc

from tees_dataset.render.pdf import warm_up

# A worker that renders reports the real problem, if there is one; the server must not fail.
with contextlib.suppress(Exception):
    warm_up()

# What is loaded now stays for the life of every worker: the garbage collector need not look at
# it again, and the workers do not copy the pages it is in by walking them.
gc.freeze()
