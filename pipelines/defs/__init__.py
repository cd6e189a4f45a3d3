"""One package per stage or per department's feeds; each exposes `defs` (a Definitions)."""
