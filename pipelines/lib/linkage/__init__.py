"""Entity resolution: which source mentions are one person, place, object or organisation."""
