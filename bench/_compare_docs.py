"""The docs/benchmarks.md section written by `bench/compare.py --record-docs`.

The explanations of where Qvault is slower are tied to the scenario and the
other tool. Each states a design fact about the tools and quotes this run's
numbers, so the text stays true when the figures change. For a combination with
no explanation written here, the section states that its cause has not been analysed.
"""

from _compare_report import SECTION_HEADING, markdown_table, scenario_title, tool_label

METHOD = """\
- **Same data set everywhere.** {entries:,} logins; entry *i* is `user<i>` on
  `https://site<i>.example/login` with a random 20-character password. pass gets
  one file per entry in the `site<i>.example/user<i>.gpg` layout browserpass
  expects, encrypted to an RSA 3072 key (gpg 2.2.40's default key type) without a
  passphrase. Decrypting with it costs what decrypting with a key that a running
  gpg-agent has already unlocked costs. KeePassXC gets the same entries through
  `keepassxc-cli import` of KeePass XML. Qvault gets a vault made through its
  Python API with Argon2id at its floor (64 MiB, t=3, p=4), which is cheaper than
  the 0.6 s that `qvault init` calibrates by default. The large data set for the
  listing is built the same way, except that only its first {distinct:,} pass
  files are encrypted separately and the others are copies of those ciphertexts,
  because `pass ls` reads file names, never contents.
- **Key derivation.** keepassxc-cli 2.7.4 writes AES-KDF files and picks the rounds
  for a target decryption time, which was set to Qvault's measured Argon2id time
  (at least 100 ms, the smallest keepassxc-cli accepts). The two KDFs still differ
  a little, so the table also shows each median minus that tool's KDF time. Qvault's
  KDF time is the median of Argon2id derivations timed in the benchmark process.
  KeePassXC's is the median time to list an empty database with the same target,
  minus the median of `keepassxc-cli --version`. That difference is scaled by the
  ratio of the two files' AES-KDF rounds, because AES-KDF time is linear in rounds.
  The large KeePassXC file is imported while the other large stores are built.
  keepassxc-cli then times its rounds on a busier machine and picks fewer, so its
  KDF column is scaled to its own rounds. pass derives no key, so its KDF column is 0.
- **Browser fetch.** Qvault's host is started once as Chromium starts it, with the
  extension origin as argument. It is unlocked once through a scripted pinentry
  ({unlock_ms} ms including pinentry start and the KDF, not in the table). Then
  `get_login` requests are timed over the open pipe, as the extension's
  `connectNative` port uses it. browserpass-native and passff's host are started
  once per request with one `fetch` (browserpass) or `show` (passff) request,
  because their extensions call `sendNativeMessage` (checked in browserpass
  3.7.2's packaged extension), which starts a new host process per message.
- **Command line.** Every tool starts a new process per request. Qvault and
  keepassxc-cli read the master password from stdin. "python + qvault imports only"
  times `python -c "import qvault.cli.main, qvault.vault.store"`, the share of
  `qvault get` that no change to the vault code can remove.
- **Order and statistics.** Tools alternate within each run and the first tool
  rotates from run to run; one untimed warm-up run comes first, except for the
  large listing, whose files were just written. Each run picks a
  random entry, the same for every tool, and the output is checked against the
  data set outside the timed region. p99 is the nearest-rank percentile, so with
  fewer than 100 runs it is the slowest run.
"""

REASONS = {
    ("cli_fetch", "pass"): (
        "`qvault get` took {ratio:.1f} times as long as `pass show` ({without_kdf}). "
        "Each `qvault get` is a new Python process, and starting Python and importing the CLI's modules "
        "alone took {start_ms:.0f} ms. It then derives the key with Argon2id ({kdf_ms:.0f} ms here), "
        "recomputes the manifest leaf of all {entries:,} rows and takes their metadata from its encrypted "
        "metadata cache (decrypting it instead on a device's first unlock) before it looks the title up, because "
        "titles and URLs are encrypted in the vault. `pass show` starts a shell "
        "script and one gpg process, and gpg asks the running gpg-agent, which already holds the private key, "
        "for one RSA decryption: no key derivation, and no other entry is read. For repeated use Qvault's "
        "answer is the native host, which stays unlocked (the browser rows)."
    ),
    ("list", "pass"): (
        "Listing {entries:,} entries took {ratio:.1f} times as long with `qvault list` as with `pass ls` "
        "({without_kdf}). `pass ls` runs `tree` over the store: the entry names are "
        "plain file names, so it decrypts nothing and needs no key. `qvault list` starts Python "
        "({start_ms:.0f} ms), derives the key, and verifies every row against the manifest, because "
        "Qvault encrypts titles, usernames and URLs that pass leaves readable in the file system."
    ),
    ("cli_fetch", "keepassxc"): (
        "`qvault get` took {ratio:.2f} times as long as `keepassxc-cli show` ({without_kdf}). "
        "Both decrypt every entry on each command: Qvault one XChaCha20-Poly1305 decryption and one "
        "HMAC per entry from Python, after a {start_ms:.0f} ms Python start; KeePassXC one stream in C++. "
        "How the time splits inside Qvault's unlock was not measured here."
    ),
    ("list", "keepassxc"): (
        "Listing {entries:,} entries took {ratio:.2f} times as long with `qvault list` as with "
        "`keepassxc-cli ls` ({without_kdf}). Both decrypt every entry on each command: "
        "Qvault one XChaCha20-Poly1305 decryption and one HMAC per entry from Python, after a "
        "{start_ms:.0f} ms Python start; KeePassXC one stream in C++. How the time splits inside Qvault's "
        "unlock was not measured here."
    ),
}
UNANALYSED = ("{scenario}: Qvault took {ratio:.2f} times as long as {tool}. The cause of this case has not been "
              "analysed yet.")


def _without_kdf_clause(value: float | None) -> str:
    if value is None:
        return "no ratio without the KDF, because the KDF estimate was within the noise"
    return f"{value:.2f} times without the KDF"


def slower_paragraphs(results: dict) -> list[str]:
    """Return one paragraph per comparison where Qvault's median is the higher one."""
    start = next((row["median_ms"] for row in results["rows"] if row["tool"] == "qvault_start"), float("nan"))
    kdf_ms = results["kdf"]["qvault_seconds"] * 1000
    paragraphs = []
    for row in results["rows"]:
        if row["ratio"] is None or row["ratio"] <= 1:
            continue
        template = REASONS.get((row["scenario"], row["tool"]), UNANALYSED)
        paragraphs.append(template.format(
            ratio=row["ratio"], without_kdf=_without_kdf_clause(row["ratio_without_kdf"]), start_ms=start,
            kdf_ms=kdf_ms, entries=row["entries"], scenario=scenario_title(row),
            tool=tool_label(row, results.get("qvault_cli", "qvault CLI")),
        ))
    return paragraphs


def _run_facts(results: dict) -> list[str]:
    """Return the bullet list of when, where and with which versions the run happened."""
    machine = results["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in results["versions"].items())
    facts = [
        f"- Run: {results['date']}, `{results['command']}` (repository root, virtualenv with qvault installed).",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
        f"{machine['os']}, kernel {machine['kernel']}.",
        f"- Versions: {versions}.",
        f"- Temporary data sets on: {results.get('temp_filesystem', 'unknown')}. They are written right "
        "before they are timed, so their files are most likely read from the page cache on any file system.",
        f"- One-minute load average at start and end: {results['load_average'][0]} and "
        f"{results['load_average'][1]}. A load above the core count means other jobs shared the CPU, "
        "which inflates every figure; alternating the tools spreads that effect over all of them.",
    ]
    if results["qvault_cli"] != "qvault CLI":
        facts.append("- The qvault CLI had no `get` or `list` yet, so its rows time the same Vault API calls "
                     "through `python -c`.")
    for missing in results["missing"]:
        facts.append(f"- Not measured: {missing}.")
    return facts


def section_text(results: dict, plot_path: str | None) -> str:
    """Return the whole section, from its heading to the blank line that ends it."""
    lines = [SECTION_HEADING, "",
             "How Qvault compares with the tools its users would otherwise pick, measured side by side in one run "
             "by `bench/compare.py`. `python bench/compare.py --record-docs` measures again and rewrites this "
             "section; `--help` lists the options. The script installs nothing: it measures whichever of Debian's "
             "`pass`, `gnupg`, `keepassxc` and `webext-browserpass` packages are installed, and passff's host "
             "when `--passff-host PATH` names its script.", ""]
    lines += _run_facts(results)

    unlock_ms = round(results["qvault_host_unlock_seconds"] * 1000)
    method = METHOD.format(entries=results["entries"], unlock_ms=unlock_ms,
                           distinct=results.get("listing_distinct_ciphertexts", 0))
    lines += ["", "### Method", "", method]

    lines += ["### Results", "",
              "Milliseconds. \"Qvault / tool\" is Qvault's median divided by the tool's median: above 1, "
              "Qvault is slower.", "", markdown_table(results), ""]
    if plot_path:
        lines += [f"![Medians with p99 whiskers, log scale]({plot_path})", ""]

    lines += ["### Where Qvault is slower, and why", ""]
    paragraphs = slower_paragraphs(results)
    for paragraph in paragraphs or ["Qvault's median was the lowest in every comparison of this run."]:
        lines += [paragraph, ""]
    return "\n".join(lines)
