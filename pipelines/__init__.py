"""safecity's pipeline: Dagster definitions (defs/), the library they call (lib/), the CLI."""

import os

# polars' allocator (jemalloc) gives freed pages back to the kernel within half a second (polars
# sets dirty_decay_ms:500 when it loads, then appends whatever `_RJEM_MALLOC_CONF` holds, so
# ours wins). Holding a batch of deliveries to its contract frees and allocates its columns
# again and again, and faulting those pages back in cost a seventh of traffic_flow's
# ingestion on `large`: 8.6 s of system time in 48 s of CPU, 3.5 s with jemalloc's own
# defaults, which keep freed pages ten seconds, for about 0.2 GiB more peak memory. polars
# reads the variable when it is first imported, so it is set here, before any module of ours
# imports polars; a value set in the environment wins. Registered (and documented) in
# lib/settings.py, which is not imported here: `python -m pipelines.lib.settings` runs it as a
# script after this package is imported.
POLARS_ALLOCATOR = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:0")
os.environ.setdefault(*POLARS_ALLOCATOR)
