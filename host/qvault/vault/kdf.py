"""Argon2id key derivation with a floor and a ceiling checked before deriving."""

import dataclasses
import time
from typing import Callable

from argon2.low_level import Type, hash_secret_raw

from qvault import limits
from qvault.errors import KdfParametersRejected


@dataclasses.dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters as stored in a password key slot."""

    memory_kib: int
    iterations: int
    parallelism: int

    def check(self) -> None:
        """Raise KdfParametersRejected unless every parameter is within its limits.

        Called before any derivation, so a hostile file or server can neither weaken
        the derivation nor make it take minutes or gigabytes.
        """
        bounds = [
            ("memory", self.memory_kib, limits.ARGON2_MEMORY_KIB_MIN, limits.ARGON2_MEMORY_KIB_MAX, " KiB"),
            ("iterations", self.iterations, limits.ARGON2_ITERATIONS_MIN, limits.ARGON2_ITERATIONS_MAX, ""),
            ("parallelism", self.parallelism, limits.ARGON2_PARALLELISM_MIN, limits.ARGON2_PARALLELISM_MAX, ""),
        ]
        for name, value, minimum, maximum, unit in bounds:
            if not isinstance(value, int) or isinstance(value, bool):
                raise KdfParametersRejected(f"Argon2id {name} {value!r} is not an integer")
            if value < minimum:
                raise KdfParametersRejected(f"Argon2id {name} {value}{unit} is below the minimum {minimum}{unit}")
            if value > maximum:
                raise KdfParametersRejected(f"Argon2id {name} {value}{unit} is above the maximum {maximum}{unit}")
        cost = self.memory_kib * self.iterations
        if cost < limits.ARGON2_COST_MIN:
            raise KdfParametersRejected(
                f"Argon2id memory x iterations {cost} KiB is below the minimum {limits.ARGON2_COST_MIN} KiB"
            )
        if cost > limits.ARGON2_COST_MAX:
            raise KdfParametersRejected(
                f"Argon2id memory x iterations {cost} KiB is above the maximum {limits.ARGON2_COST_MAX} KiB"
            )


# RFC 9106, section 4, second recommended option.
FLOOR = KdfParams(memory_kib=64 * 1024, iterations=3, parallelism=4)


def derive(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    """Return a 32-byte Argon2id (version 0x13) output, after checking the parameters."""
    params.check()
    if len(salt) != limits.SALT_BYTES:
        raise KdfParametersRejected(f"Argon2id salt is {len(salt)} bytes; expected {limits.SALT_BYTES}")
    return hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=params.iterations,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=limits.KEY_BYTES,
        type=Type.ID,
    )


def calibrate(target_seconds: float = 0.6, clock: Callable[[], float] = time.perf_counter) -> KdfParams:
    """Pick iterations at 64 MiB and p=4 so one derivation takes about target_seconds.

    The memory stays at the floor so unlocking works on small machines; the time
    target is met by adding passes. The result never drops below FLOOR.
    """
    salt = bytes(limits.SALT_BYTES)
    started = clock()
    derive(b"calibration", salt, FLOOR)
    per_iteration = max((clock() - started) / FLOOR.iterations, 1e-6)
    iterations = round(target_seconds / per_iteration)
    ceiling = min(limits.ARGON2_ITERATIONS_MAX, limits.ARGON2_COST_MAX // FLOOR.memory_kib)
    iterations = max(FLOOR.iterations, min(iterations, ceiling))
    return KdfParams(memory_kib=FLOOR.memory_kib, iterations=iterations, parallelism=FLOOR.parallelism)
