"""Ingestion: a landing file, read as delivered, held to its contract, written to the lake."""
