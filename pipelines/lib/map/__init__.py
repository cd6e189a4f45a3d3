"""The one map: its layers as configuration (layers.py) and the self-contained page (page.py)."""
