"""The native host, run as a subprocess, never sends a wallet's seed phrase or passphrase.

The vault holds a wallet made by the code of `qvault wallet new`: a random 24-word
phrase and a BIP39 passphrase. Every verb that takes an entry id is sent its id,
and the listing verbs search for it. No reply, log line or stderr output may
contain the phrase, two of its words in a row, or the passphrase.
"""

import json

import pytest

from hostproc import HostProcess, error_name
from qvault.crypto import newwallet
from qvault.vault import Vault
from qvault.vault.kdf import FLOOR

PASSWORD = "correct horse battery staple"
PASSPHRASE = "never-leaves-the-desktop"
PAGE = "https://exchange.example/withdraw"


@pytest.fixture
def wallet_vault(tmp_path):
    """A vault with a generated wallet (also saved for a page URL); returns (path, phrase)."""
    created = newwallet.create("Cold storage", word_count=24, passphrase=PASSPHRASE)
    path = tmp_path / "vault.qvault"
    vault, _ = Vault.create(path, PASSWORD, params=FLOOR)
    vault.add_entry(created.metadata, created.secret)
    # The same wallet with a URL, as an importer may store it, so match has it to consider.
    vault.add_entry({**created.metadata, "title": "Cold storage for exchange", "urls": [PAGE]}, created.secret)
    vault.close()
    return path, created.secret["seed"], created.metadata["addresses"][0]


def string_values(document) -> list[str]:
    if isinstance(document, dict):
        return [value for item in document.values() for value in string_values(item)]
    if isinstance(document, list):
        return [value for item in document for value in string_values(item)]
    return [document] if isinstance(document, str) else []


def assert_no_seed(text: str, values: list[str], phrase: str) -> None:
    words = phrase.split()
    assert phrase not in text
    assert PASSPHRASE not in text
    for start in range(len(words) - 1):
        assert " ".join(words[start : start + 2]) not in text
    assert not set(values) & set(words)


def test_host_never_sends_wallet_secrets(tmp_path, wallet_vault):
    path, phrase, address = wallet_vault
    host = HostProcess(tmp_path, path, password=PASSWORD)
    replies = []
    try:
        replies.append(host.request("unlock"))
        assert replies[-1]["ok"], replies[-1]

        replies.append(host.request("search", query="cold storage"))
        found = replies[-1]["entries"]
        assert len(found) == 2
        assert all(entry["type"] == "wallet" for entry in found)
        assert found[0]["public"]["addresses"] == [address]

        replies.append(host.request("match", url=PAGE))
        assert replies[-1]["ok"], replies[-1]

        for entry in found:
            replies.append(host.request("get_login", entry_id=entry["id"], url=PAGE))
            assert error_name(replies[-1]) == "FORBIDDEN"
            assert "never leave the desktop" in replies[-1]["error"]["message"]
            replies.append(host.request("totp", entry_id=entry["id"], url=PAGE))
            assert error_name(replies[-1]) == "FORBIDDEN"
    finally:
        host.close()

    text = json.dumps(replies, ensure_ascii=False)
    assert_no_seed(text, string_values(replies), phrase)
    assert_no_seed(host.stderr_text() + host.log_file_text(), [], phrase)
