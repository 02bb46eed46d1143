"""The desktop command line: `qvault [--vault PATH] COMMAND`."""
