"""The password hasher of depositor accounts.

Depositor passwords are never chosen by people: the ENT draws them at random (10 letters or
digits, about 59.5 bits, see :func:`deposits.services.depositor_password_generate`). They are
checked on every deposit burst, when hundreds of timetable programs export at the same hour,
so their hash must be slow for an attacker holding the table, not for the deposit server.
Argon2id in one of the OWASP Password Storage Cheat Sheet's equivalent minimum configurations
(7 MiB of memory, 5 passes, 1 lane; the sheet rates it as strong as 19 MiB with 2 passes, and
it holds less memory per check in a server answering many deposits at once) costs about 14 ms
of CPU here, against about 230 ms for Django's PBKDF2 at 1,000,000 iterations, and is
memory-hard, which PBKDF2 is not. People's own ENT passwords keep the project's default hasher.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class DepositorPasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=7 MiB, t=5, p=1, under its own algorithm name."""

    algorithm = "argon2_depositor"
    time_cost = 5
    memory_cost = 7 * 1024  # KiB
    parallelism = 1
