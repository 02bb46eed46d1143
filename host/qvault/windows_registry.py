"""Registry access for native-messaging hosts on Windows, behind a small interface.

install.py and `qvault doctor` only read and write the default value of a key and
delete keys, under HKCU or HKLM. WindowsRegistry does that with winreg;
MemoryRegistry does the same in memory, so the Windows install steps run (and are
tested) on any platform. install.py loads this file by path: standard library only.
"""

HIVES = ("HKCU", "HKLM")


class RegistryError(Exception):
    """A registry operation failed; the message names the key."""


def _split(key: str) -> list[str]:
    return [part for part in key.split("\\") if part]


class WindowsRegistry:
    """The real registry, through winreg (Windows only)."""

    def __init__(self):
        import winreg

        self._winreg = winreg
        self._hives = {"HKCU": winreg.HKEY_CURRENT_USER, "HKLM": winreg.HKEY_LOCAL_MACHINE}

    def exists(self, hive: str, key: str) -> bool:
        try:
            self._winreg.CloseKey(self._winreg.OpenKey(self._hives[hive], key))
        except FileNotFoundError:
            return False
        return True

    def is_empty(self, hive: str, key: str) -> bool:
        """Return True when key has no subkeys and no values (default value included)."""
        with self._winreg.OpenKey(self._hives[hive], key) as handle:
            subkeys, values, _modified = self._winreg.QueryInfoKey(handle)
        return subkeys == 0 and values == 0

    def get_default(self, hive: str, key: str) -> str | None:
        try:
            with self._winreg.OpenKey(self._hives[hive], key) as handle:
                value, _kind = self._winreg.QueryValueEx(handle, "")
        except FileNotFoundError:
            return None
        return value if isinstance(value, str) else None

    def set_default(self, hive: str, key: str, value: str) -> None:
        """Create key (and missing parents) and set its default value to value."""
        try:
            with self._winreg.CreateKeyEx(self._hives[hive], key, 0, self._winreg.KEY_WRITE) as handle:
                self._winreg.SetValueEx(handle, "", 0, self._winreg.REG_SZ, value)
        except OSError as failure:
            raise RegistryError(f"failed to write {hive}\\{key} ({failure})") from None

    def delete_key(self, hive: str, key: str) -> None:
        try:
            self._winreg.DeleteKey(self._hives[hive], key)
        except FileNotFoundError:
            return
        except OSError as failure:
            raise RegistryError(f"failed to delete {hive}\\{key} ({failure})") from None


class MemoryRegistry:
    """An in-memory registry with WindowsRegistry's interface. Key names ignore case, as Windows does."""

    def __init__(self):
        # (hive, lower-case key path) -> {"name": key path as written, "default": value or None}
        self.keys: dict[tuple[str, str], dict] = {}

    @staticmethod
    def _id(hive: str, key: str) -> tuple[str, str]:
        if hive not in HIVES:
            raise RegistryError(f"unknown registry hive {hive!r}; expected one of {', '.join(HIVES)}")
        return hive, "\\".join(_split(key)).lower()

    def exists(self, hive: str, key: str) -> bool:
        return self._id(hive, key) in self.keys

    def is_empty(self, hive: str, key: str) -> bool:
        hive_name, path = self._id(hive, key)
        has_children = any(other_hive == hive_name and other.startswith(path + "\\") for other_hive, other in self.keys)
        return not has_children and self.keys[(hive_name, path)]["default"] is None

    def get_default(self, hive: str, key: str) -> str | None:
        entry = self.keys.get(self._id(hive, key))
        return None if entry is None else entry["default"]

    def set_default(self, hive: str, key: str, value: str) -> None:
        parts = _split(key)
        for depth in range(1, len(parts) + 1):
            partial = "\\".join(parts[:depth])
            self.keys.setdefault(self._id(hive, partial), {"name": partial, "default": None})
        self.keys[self._id(hive, key)]["default"] = value

    def delete_key(self, hive: str, key: str) -> None:
        identity = self._id(hive, key)
        if identity not in self.keys:
            return
        if any(other_hive == identity[0] and other.startswith(identity[1] + "\\") for other_hive, other in self.keys):
            # winreg.DeleteKey refuses a key with subkeys too.
            raise RegistryError(f"failed to delete {hive}\\{key} (it has subkeys)")
        del self.keys[identity]
