"""Quality reports on published extracts: Great Expectations suites derived from the warehouse contracts.

docs/architecture.md: "Contracts, enforced three times" (the third) and "Which library does
what" (GX on pandas batches of published outputs, its data docs for people). Three modules:

- `extract`: a department's extract as published (`extracts/<department>/`): its
  manifest's tables, columns and their treatment, and each table as a pandas frame;
- `suites`: one ExpectationSuite per table from its ODCS contract and the treatment
  of each published column (pure);
- `reports`: validates every table of one extract and writes GX data docs to
  `reports/quality/<department>/`, returning a typed summary.

Importing `great_expectations` takes seconds, so nothing here imports it at package
level: the Dagster definitions import this package when the code location loads.
"""
