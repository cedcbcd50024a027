"""The command line: thin commands over the library; the only code that prints."""
