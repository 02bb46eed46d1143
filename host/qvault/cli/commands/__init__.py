"""One module per group of commands; each command is run(console, args) -> exit code."""
