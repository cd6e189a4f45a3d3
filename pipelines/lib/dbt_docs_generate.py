"""`dbt docs generate` on the warehouse build's parse of the project, without parsing it again.

    python -m pipelines.lib.dbt_docs_generate PROJECT_DIR PROFILES_DIR BUILD_TARGET DOCS_TARGET

The dbt_docs asset starts this module in a process of its own (dbt keeps global state a run's
process should not share). The manifest is the one the warehouse build parsed: dbt keeps it in
the build's target folder as its partial-parse state (`partial_parse.msgpack`, written after
parsing and before anything runs, so with no compiled SQL in it). It is written to the docs target
as `manifest.json`, which the static page embeds, and handed to `dbt docs generate --static
--no-compile`, which then reads only the catalog (column types) from the analytics copy through
the profile's `docs` target. Parsing the project for the docs target instead, whose profile
differs from the build's, was a full parse (some 4 s) in a second dbt process (some 2 s).

The asset refuses a parse older than the dbt project (a project edited since the last build).
Reading dbt's partial-parse state relies on dbt-core 1.11's internals (`Manifest.from_msgpack`
and its decoder): tests/warehouse/test_dbt_docs_site.py, on the built tiny city, fails when an
upgrade changes them.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from pathlib import Path

PARTIAL_PARSE = "partial_parse.msgpack"
MANIFEST = "manifest.json"
DOCS_TARGET = "docs"


def main(argv: list[str]) -> int:
    project_dir, profiles_dir, build_target, docs_target = (Path(arg) for arg in argv)
    state = build_target / PARTIAL_PARSE
    if not state.is_file():
        print(f"{state} does not exist: build the warehouse first (safecity run)", file=sys.stderr)
        return 2

    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest
    from dbt.flags import set_from_args
    from dbt.parser.manifest import extended_mashumuro_decoder

    set_from_args(Namespace(SEND_ANONYMOUS_USAGE_STATS=False), None)  # read when writing it
    manifest = Manifest.from_msgpack(state.read_bytes(), decoder=extended_mashumuro_decoder)
    docs_target.mkdir(parents=True, exist_ok=True)
    manifest.writable_manifest().write(str(docs_target / MANIFEST))
    result = dbtRunner(manifest=manifest).invoke(
        [
            "docs",
            "generate",
            "--static",
            "--no-compile",
            "--target",
            DOCS_TARGET,
            "--target-path",
            str(docs_target),
            "--log-path",
            str(docs_target),
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(profiles_dir),
        ]
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
