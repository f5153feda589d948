"""One module per capability, each with RESOURCES = [ResourceSpec(...)] (see ../registry.py)."""
