"""The ``moesaic`` command line: thin typer commands over the library."""
