"""One module per schema revision, oldest first (``kubus oltp upgrade`` applies them)."""
