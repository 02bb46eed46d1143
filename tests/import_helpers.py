"""Helpers shared by the import and export tests: a vault at the KDF floor and CLI runs."""

import io
import pathlib

from vault_helpers import PASSWORD, create_vault

from qvault.cli.main import main

DATA = pathlib.Path(__file__).parent / "data" / "import"


class Result:
    """Exit status and captured output of one CLI run."""

    def __init__(self, status: int, stdout: str, stderr: str):
        self.status = status
        self.stdout = stdout
        self.stderr = stderr


def new_vault(folder: pathlib.Path, name: str = "vault.qvault") -> pathlib.Path:
    path = folder / name
    vault, _ = create_vault(path)
    vault.close()
    return path


def run(vault_path: pathlib.Path, *argv: str, lines: tuple[str, ...] = (PASSWORD,)) -> Result:
    """Run `qvault --vault PATH --password-stdin ARGV...` with lines as stdin."""
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(["--vault", str(vault_path), "--password-stdin", *argv], stdin=stdin, stdout=stdout, stderr=stderr)
    return Result(status, stdout.getvalue(), stderr.getvalue())


def open_entries(vault_path: pathlib.Path) -> dict[str, tuple[dict, dict]]:
    """Return {title: (metadata, secret)} of every live entry."""
    from qvault.vault import Vault

    with Vault.open(vault_path) as vault:
        vault.unlock(PASSWORD)
        return {entry.title: (entry.metadata, vault.get_secret(entry.id)) for entry in vault.entries()}
