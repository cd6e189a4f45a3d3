"""National and de-facto standards the data contracts enforce (see docs/architecture.md)."""
