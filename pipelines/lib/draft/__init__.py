"""`safecity contract draft`: a feed contract inferred from one delivered file, for a person to review.

- `sample`: reading the file (format, encoding, delimiter, file-name pattern) as ingestion will;
- `values`: missing-value markers, types, date and time formats;
- `patterns`, `columns`: patterns, enumerations, standards, required, classification;
- `position`, `keys`: coordinates (or a point string) and candidate keys;
- `document`, `yaml_text`: the ODCS document and its YAML with comments;
- `draft`: all of it, checked by loading the draft and dry-running it on its own sample.
"""

from pipelines.lib.draft.draft import Draft, draft_contract
from pipelines.lib.draft.sample import DraftError

__all__ = ["Draft", "DraftError", "draft_contract"]
