"""Counts in messages: '1 entry', '2 entries'."""


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """Return count followed by the singular noun for 1 and the plural otherwise.

    The plural defaults to singular + 's'; pass it for irregular nouns ('entries').
    """
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count} {noun}"


def entries(count: int) -> str:
    """Return '1 entry' or 'N entries'."""
    return counted(count, "entry", "entries")
