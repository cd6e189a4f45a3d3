"""One module per department: how its feeds are drawn from the true city."""
