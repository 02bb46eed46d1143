"""The folders and registry keys in which each supported browser finds host manifests.

install.py writes manifests to these places and `qvault doctor` reads them back, so
both use this one table. install.py runs before Qvault is installed and loads this
file by path: it must import nothing but the standard library.

Sources of the locations:
- Chrome and Chromium: Chrome's "Native messaging" page (developer.chrome.com),
  "Native messaging host location".
- Edge: Microsoft's "Native messaging" page (learn.microsoft.com).
- Firefox: MDN "Native manifests", "Manifest location".
- Brave, Vivaldi, LibreWolf: no vendor page documents them. The per-user folders and
  Windows keys are the ones KeePassXC (src/browser/NativeMessageInstaller.cpp),
  browserpass-native (Makefile) and passff document and ship.
"""

import os
import pathlib

CHROMIUM_FAMILY = "chromium"
FIREFOX_FAMILY = "firefox"

PLATFORMS = ("linux", "darwin", "win32")
SCOPES = ("user", "system")

# Browser name -> (display name, manifest family).
BROWSERS = {
    "chrome": ("Google Chrome", CHROMIUM_FAMILY),
    "chromium": ("Chromium", CHROMIUM_FAMILY),
    "brave": ("Brave", CHROMIUM_FAMILY),
    "edge": ("Microsoft Edge", CHROMIUM_FAMILY),
    "vivaldi": ("Vivaldi", CHROMIUM_FAMILY),
    "firefox": ("Firefox", FIREFOX_FAMILY),
    "librewolf": ("LibreWolf", FIREFOX_FAMILY),
}

# Manifest folders. A folder starting with "$XDG_CONFIG_HOME/" is in the XDG config
# folder (default ~/.config), and one starting with "~/" is in the home folder.
# Absolute folders are system-wide and need administrator rights.
_FOLDERS = {
    ("linux", "user"): {
        "chrome": ["$XDG_CONFIG_HOME/google-chrome/NativeMessagingHosts"],
        "chromium": ["$XDG_CONFIG_HOME/chromium/NativeMessagingHosts"],
        "brave": ["$XDG_CONFIG_HOME/BraveSoftware/Brave-Browser/NativeMessagingHosts"],
        "edge": ["$XDG_CONFIG_HOME/microsoft-edge/NativeMessagingHosts"],
        "vivaldi": ["$XDG_CONFIG_HOME/vivaldi/NativeMessagingHosts"],
        "firefox": ["~/.mozilla/native-messaging-hosts"],
        "librewolf": ["~/.librewolf/native-messaging-hosts"],
    },
    ("linux", "system"): {
        "chrome": ["/etc/opt/chrome/native-messaging-hosts"],
        "chromium": ["/etc/chromium/native-messaging-hosts"],
        # NOTE: Brave publishes no system folder; browserpass-native installs Brave's
        # system manifest into Chrome's folder, which Brave reads. Not checked here.
        "brave": ["/etc/opt/chrome/native-messaging-hosts"],
        "edge": ["/etc/opt/edge/native-messaging-hosts"],
        # NOTE: taken from browserpass-native's Makefile; no Vivaldi page confirms it.
        "vivaldi": ["/etc/opt/vivaldi/native-messaging-hosts"],
        "firefox": ["/usr/lib/mozilla/native-messaging-hosts"],
        "librewolf": ["/usr/lib/librewolf/native-messaging-hosts"],
    },
    ("darwin", "user"): {
        "chrome": ["~/Library/Application Support/Google/Chrome/NativeMessagingHosts"],
        "chromium": ["~/Library/Application Support/Chromium/NativeMessagingHosts"],
        "brave": ["~/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"],
        "edge": ["~/Library/Application Support/Microsoft Edge/NativeMessagingHosts"],
        "vivaldi": ["~/Library/Application Support/Vivaldi/NativeMessagingHosts"],
        "firefox": ["~/Library/Application Support/Mozilla/NativeMessagingHosts"],
        "librewolf": ["~/Library/Application Support/LibreWolf/NativeMessagingHosts"],
    },
    ("darwin", "system"): {
        "chrome": ["/Library/Google/Chrome/NativeMessagingHosts"],
        "chromium": ["/Library/Application Support/Chromium/NativeMessagingHosts"],
        # NOTE: as on Linux, Brave's system folder is Chrome's; no Brave page confirms it.
        "brave": ["/Library/Google/Chrome/NativeMessagingHosts"],
        "edge": ["/Library/Microsoft/Edge/NativeMessagingHosts"],
        "vivaldi": ["/Library/Application Support/Vivaldi/NativeMessagingHosts"],
        "firefox": ["/Library/Application Support/Mozilla/NativeMessagingHosts"],
        "librewolf": ["/Library/Application Support/LibreWolf/NativeMessagingHosts"],
    },
}

# Firefox on 64-bit Fedora and openSUSE reads /usr/lib64 instead of /usr/lib (MDN).
_LIB64_VARIANTS = {"firefox": "/usr/lib64/mozilla/native-messaging-hosts",
                   "librewolf": "/usr/lib64/librewolf/native-messaging-hosts"}

# Windows registry keys under HKEY_CURRENT_USER (user) or HKEY_LOCAL_MACHINE (system)
# whose default value is the manifest's path. Brave and Vivaldi read Chrome's key.
# LibreWolf builds differ in which key they read, so it gets both.
_REGISTRY_KEYS = {
    "chrome": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "chromium": [r"Software\Chromium\NativeMessagingHosts"],
    "brave": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "edge": [r"Software\Microsoft\Edge\NativeMessagingHosts"],
    "vivaldi": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "firefox": [r"Software\Mozilla\NativeMessagingHosts"],
    "librewolf": [r"Software\LibreWolf\NativeMessagingHosts", r"Software\Mozilla\NativeMessagingHosts"],
}
REGISTRY_HIVES = {"user": "HKCU", "system": "HKLM"}

# Sandboxed packages that cannot start a host program outside their sandbox.
FLATPAK_IDS = {
    "chrome": "com.google.Chrome",
    "chromium": "org.chromium.Chromium",
    "brave": "com.brave.Browser",
    "edge": "com.microsoft.Edge",
    "vivaldi": "com.vivaldi.Vivaldi",
    "firefox": "org.mozilla.firefox",
    "librewolf": "io.gitlab.librewolf-community",
}
SNAP_NAMES = {"chromium": "chromium", "brave": "brave", "vivaldi": "vivaldi", "firefox": "firefox"}


def install_folder(platform: str, scope: str, *, home: pathlib.Path, environ=os.environ,
                   root: pathlib.Path | None = None) -> pathlib.Path:
    """Return the folder install.py puts the launcher, its venv and its install record in.

    The per-user folder is the one platformdirs.user_data_dir("qvault") names, so the
    host, the CLI and install.py agree on it.
    """
    if platform == "linux" and scope == "user":
        value = environ.get("XDG_DATA_HOME", "")
        return (pathlib.Path(value) if value and os.path.isabs(value) else home / ".local/share") / "qvault"
    if platform == "linux":
        return rooted(root, "/usr/local/lib/qvault")
    if platform == "darwin" and scope == "user":
        return home / "Library/Application Support/qvault"
    if platform == "darwin":
        return rooted(root, "/Library/Application Support/qvault")
    if scope == "user":
        local = environ.get("LOCALAPPDATA")
        return (pathlib.Path(local) if local else home / "AppData/Local") / "qvault"
    return pathlib.Path(environ.get("PROGRAMDATA", r"C:\ProgramData")) / "qvault"


def family(browser: str) -> str:
    return BROWSERS[browser][1]


def display_name(browser: str) -> str:
    return BROWSERS[browser][0]


def rooted(root: pathlib.Path | None, path: str) -> pathlib.Path:
    """Return absolute path moved under root (a test or packaging prefix), if given."""
    if root is None:
        return pathlib.Path(path)
    return root / path.lstrip("/")


def xdg_config_home(home: pathlib.Path, environ) -> pathlib.Path:
    value = environ.get("XDG_CONFIG_HOME", "")
    # The XDG Base Directory specification requires ignoring relative paths.
    if value and os.path.isabs(value):
        return pathlib.Path(value)
    return home / ".config"


def manifest_folders(browser: str, platform: str, scope: str, *, home: pathlib.Path,
                     environ=os.environ, root: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Return the folders where browser reads host manifests (Linux and macOS only)."""
    if platform == "win32":
        raise ValueError("on Windows the browser finds manifests through registry keys; use registry_keys()")
    folders = []
    for template in _FOLDERS[(platform, scope)][browser]:
        if template.startswith("$XDG_CONFIG_HOME/"):
            folders.append(xdg_config_home(home, environ) / template.removeprefix("$XDG_CONFIG_HOME/"))
        elif template.startswith("~/"):
            folders.append(home / template.removeprefix("~/"))
        else:
            folders.append(rooted(root, template))

    lib64 = _LIB64_VARIANTS.get(browser)
    if platform == "linux" and scope == "system" and lib64 is not None:
        # Only where /usr/lib64 is its own folder: on Debian it is absent or a link.
        lib64_root = rooted(root, "/usr/lib64")
        if lib64_root.is_dir() and not lib64_root.is_symlink():
            folders.append(rooted(root, lib64))
    return folders


def registry_keys(browser: str, host_name: str) -> list[str]:
    """Return the registry key paths (without hive) that browser reads on Windows."""
    return [f"{base}\\{host_name}" for base in _REGISTRY_KEYS[browser]]


def sandboxed_installs(browser: str, *, home: pathlib.Path, root: pathlib.Path | None = None) -> list[tuple[str, pathlib.Path]]:
    """Return (kind, evidence path) for each Flatpak or Snap install of browser found (Linux).

    A Flatpak counts when it is installed (system or user installation) or has run,
    because then its ~/.var/app folder exists. A Snap counts when its command, its
    folder under /snap or its ~/snap folder exists.
    """
    found = []
    flatpak_id = FLATPAK_IDS.get(browser)
    if flatpak_id is not None:
        for candidate in (home / ".var/app" / flatpak_id,
                          home / ".local/share/flatpak/app" / flatpak_id,
                          rooted(root, f"/var/lib/flatpak/app/{flatpak_id}")):
            if candidate.is_dir():
                found.append(("flatpak", candidate))
                break

    snap_name = SNAP_NAMES.get(browser)
    if snap_name is not None:
        for candidate in (rooted(root, f"/snap/bin/{snap_name}"), rooted(root, f"/snap/{snap_name}"), home / "snap" / snap_name):
            if candidate.exists():
                found.append(("snap", candidate))
                break
    return found


def sandbox_advice(browser: str, kind: str, evidence: pathlib.Path) -> str:
    """Return what a user with a sandboxed browser should know and can do."""
    name = display_name(browser)
    if family(browser) == FIREFOX_FAMILY and kind == "snap":
        return (
            f"{name} is installed as a Snap ({evidence}). The Snap starts native-messaging hosts through the "
            "WebExtensions desktop portal (Ubuntu 22.04 and later), reads the same manifest folder and asks once "
            "for permission; on a system without that portal, install the distribution's or Mozilla's non-Snap package"
        )
    if family(browser) == FIREFOX_FAMILY:
        return (
            f"{name} is installed as a Flatpak ({evidence}): its sandbox blocks native messaging unless the "
            "xdg-native-messaging-proxy service is installed and running (systemctl --user enable --now "
            "xdg-native-messaging-proxy.service) and the browser release supports it; otherwise install "
            f"{name} from your distribution's packages or the vendor's archive"
        )
    return (
        f"{name} is installed as a {kind.capitalize()} ({evidence}): its sandbox does not let it start programs "
        f"outside, so the Qvault extension cannot reach the host from it. Install {name} from your "
        "distribution's packages or the vendor's .deb/.rpm; the manifest written here serves that install"
    )
