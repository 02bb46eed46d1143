"""Crypto-holder features on the desktop: SLIP-39 shares, paper backups, watch-only checks.

Everything here runs offline and only in the CLI process. The native host never
imports this package, and nothing here sends a seed phrase anywhere.

- seed: BIP39 phrase to entropy and seed, and new phrases from `secrets`.
- shamir: SLIP-39 split and combine (the shamir-mnemonic package).
- derive: account keys and receive addresses for BIP44/49/84/86 and Ethereum (bip-utils).
- verify: compare derived keys with the watch-only data stored in a wallet entry.
- paper: QR codes and a printable HTML sheet (segno).
"""
