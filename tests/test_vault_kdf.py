"""Argon2id: the RFC 9106 test vector, and the floor and ceiling checked before deriving."""

import pytest
from argon2 import low_level
from vault_helpers import PASSWORD, create_vault, execute

from qvault import limits
from qvault.errors import KdfParametersRejected
from qvault.vault import Vault, kdf
from qvault.vault.kdf import FLOOR, KdfParams


def argon2id_with_secret(password, salt, secret, associated, memory_kib, iterations, lanes, length):
    """Argon2id through the C library's argon2_ctx, the one entry point taking a secret and associated data."""
    ffi = low_level.ffi
    buffers = [ffi.new("uint8_t[]", value) for value in (password, salt, secret, associated)]
    output = ffi.new("uint8_t[]", length)
    context = ffi.new(
        "argon2_context *",
        {
            "out": output,
            "outlen": length,
            "pwd": buffers[0],
            "pwdlen": len(password),
            "salt": buffers[1],
            "saltlen": len(salt),
            "secret": buffers[2],
            "secretlen": len(secret),
            "ad": buffers[3],
            "adlen": len(associated),
            "t_cost": iterations,
            "m_cost": memory_kib,
            "lanes": lanes,
            "threads": lanes,
            "version": low_level.ARGON2_VERSION,
            "allocate_cbk": ffi.NULL,
            "free_cbk": ffi.NULL,
            "flags": low_level.lib.ARGON2_DEFAULT_FLAGS,
        },
    )
    assert low_level.core(context, low_level.Type.ID.value) == low_level.lib.ARGON2_OK
    return bytes(ffi.buffer(output, length))


def test_rfc9106_argon2id_vector():
    # RFC 9106, section 5.3: Argon2id, version 0x13, m=32 KiB, t=3, p=4.
    tag = argon2id_with_secret(b"\x01" * 32, b"\x02" * 16, b"\x03" * 8, b"\x04" * 12, 32, 3, 4, 32)
    assert tag.hex() == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"


def test_library_version_0x13():
    assert low_level.ARGON2_VERSION == 0x13


def test_derive_is_plain_argon2id():
    # kdf.derive is Argon2id v0x13 with the slot's p, no secret and no associated data.
    salt = bytes(range(16))
    expected = argon2id_with_secret(b"password", salt, b"", b"", FLOOR.memory_kib, FLOOR.iterations, FLOOR.parallelism, 32)
    assert kdf.derive(b"password", salt, FLOOR) == expected


@pytest.fixture
def argon2_forbidden(monkeypatch):
    """Make any Argon2 run fail the test, to prove a check happens before deriving."""

    def refuse(**unused):
        raise AssertionError("Argon2id ran before the parameters were checked")

    monkeypatch.setattr(kdf, "hash_secret_raw", refuse)


BOUNDS = [
    # (params, phrase naming the parameter and bound)
    (KdfParams(limits.ARGON2_MEMORY_KIB_MIN - 1, 3, 4), f"memory 65535 KiB is below the minimum {limits.ARGON2_MEMORY_KIB_MIN} KiB"),
    (KdfParams(limits.ARGON2_MEMORY_KIB_MAX + 1, 3, 4), f"memory 4194305 KiB is above the maximum {limits.ARGON2_MEMORY_KIB_MAX} KiB"),
    (KdfParams(FLOOR.memory_kib, 0, 4), "iterations 0 is below the minimum 1"),
    (KdfParams(FLOOR.memory_kib, limits.ARGON2_ITERATIONS_MAX + 1, 4), "iterations 65 is above the maximum 64"),
    (KdfParams(FLOOR.memory_kib, 3, 0), "parallelism 0 is below the minimum 1"),
    (KdfParams(FLOOR.memory_kib, 3, limits.ARGON2_PARALLELISM_MAX + 1), "parallelism 17 is above the maximum 16"),
    (KdfParams(FLOOR.memory_kib, 2, 4), f"memory x iterations 131072 KiB is below the minimum {limits.ARGON2_COST_MIN} KiB"),
    (KdfParams(limits.ARGON2_MEMORY_KIB_MAX, 5, 4), f"memory x iterations 20971520 KiB is above the maximum {limits.ARGON2_COST_MAX} KiB"),
    (KdfParams(FLOOR.memory_kib, "3", 4), "iterations '3' is not an integer"),
    (KdfParams(FLOOR.memory_kib, True, 4), "iterations True is not an integer"),
]


@pytest.mark.parametrize(("params", "phrase"), BOUNDS)
def test_bounds_before_derive(argon2_forbidden, params, phrase):
    with pytest.raises(KdfParametersRejected, match=phrase):
        kdf.derive(b"password", bytes(16), params)


def test_salt_length_before_derive(argon2_forbidden):
    with pytest.raises(KdfParametersRejected, match="salt is 8 bytes; expected 16"):
        kdf.derive(b"password", bytes(8), FLOOR)


def test_floor_itself_accepted():
    FLOOR.check()
    KdfParams(limits.ARGON2_MEMORY_KIB_MAX, 4, limits.ARGON2_PARALLELISM_MAX).check()


@pytest.fixture
def vault_path(tmp_path):
    vault, _ = create_vault(tmp_path / "v.qvault")
    vault.close()
    return tmp_path / "v.qvault"


@pytest.mark.parametrize(
    ("column", "value", "phrase"),
    [
        ("memory_kib", 8 * 1024, "memory 8192 KiB is below the minimum"),
        ("memory_kib", 64 * 1024 * 1024, "memory 67108864 KiB is above the maximum"),
        ("iterations", 1, "memory x iterations 65536 KiB is below the minimum"),
        ("iterations", 1000, "iterations 1000 is above the maximum"),
        ("parallelism", 255, "parallelism 255 is above the maximum"),
    ],
)
def test_vault_file_params_rejected(vault_path, monkeypatch, column, value, phrase):
    """A file asking for weaker or huge parameters is rejected before any derivation."""
    execute(vault_path, f"UPDATE key_slots SET {column} = ? WHERE kind = 1", (value,))
    vault = Vault.open(vault_path)
    calls = []
    monkeypatch.setattr(kdf, "hash_secret_raw", lambda **arguments: calls.append(arguments))
    with pytest.raises(KdfParametersRejected, match=phrase):
        vault.unlock(PASSWORD)
    assert calls == []


def test_create_rejects_weak_params(tmp_path, argon2_forbidden):
    with pytest.raises(KdfParametersRejected, match="iterations 1 is below|memory x iterations"):
        Vault.create(tmp_path / "v.qvault", PASSWORD, params=KdfParams(FLOOR.memory_kib, 1, 4))
    assert not (tmp_path / "v.qvault").exists()


def test_calibrate_clamps_to_floor():
    ticks = iter([0.0, 1000.0])
    assert kdf.calibrate(target_seconds=0.5, clock=lambda: next(ticks)) == FLOOR


def test_calibrate_clamps_to_ceiling():
    ticks = iter([0.0, 1e-9])
    params = kdf.calibrate(target_seconds=0.5, clock=lambda: next(ticks))
    assert params.memory_kib * params.iterations <= limits.ARGON2_COST_MAX
    params.check()
