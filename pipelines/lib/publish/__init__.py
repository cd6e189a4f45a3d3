"""Publishing to departments: granted extracts, masking, manifests and the audit log (issue 6).

- `policy`: the sharing policy (`contracts/sharing/policy.yaml`), validated against the
  warehouse contracts and the departments;
- `scope`: which rows `rows: own` keeps;
- `pseudonym`: the keyed pseudonym (HMAC-SHA256, secret from `$SAFECITY_PSEUDONYM_KEY`);
- `masking`: what each granted column becomes (clear, masked, pseudonymised), as SQL;
- `spreadsheet_csv`: CSV no spreadsheet takes a formula from;
- `manifest`: `manifest.json` and `verify_extract`, the check a department runs;
- `audit`: the append-only log of publications;
- `extracts`: one department's publication, written atomically.
"""
