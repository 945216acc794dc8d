"""Fixtures for depositor accounts: a school group whose first manual import is done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from deposits.models import DepositorAccount
from deposits.services import depositor_account_create
from ent.models import Establishment, Person, SchoolGroup
from imports.models import ImportRun
from tests.conftest import Personas
from tests.factories import ImportRunFactory, PersonFactory, SchoolYearFactory


def initialise_school_group(school_group: SchoolGroup) -> ImportRun:
    """Declare the current school year and record its integrated manual import."""
    today = timezone.localdate()
    SchoolYearFactory(
        school_group=school_group,
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=300),
    )
    return ImportRunFactory(
        school_group=school_group,
        mode=ImportRun.Mode.MANUAL,
        status=ImportRun.Status.INTEGRATED,
        file="deposits/initial.xml",
        original_filename="initial.xml",
        sha256="0" * 64,
    )


def staff_member(
    establishment: Establishment,
    last_name: str,
    first_name: str,
    *,
    kind: str = Person.Kind.TEACHER,
    function: str = "Enseignement — Mathématiques",
    user: User | None = None,
    email: str = "",
) -> Person:
    """Add a member of staff to the directory of ``establishment``."""
    person = PersonFactory(
        kind=kind,
        last_name=last_name,
        first_name=first_name,
        function=function,
        user=user,
        email=email,
        birth_date=None,
    )
    person.establishments.add(establishment)
    return person


def make_depositor(school_group: SchoolGroup, user: User) -> DepositorAccount:
    return depositor_account_create(
        school_group=school_group, user=user, notify=True, created_by=None, now=timezone.now()
    )


@pytest.fixture
def initialised(personas: Personas) -> Personas:
    initialise_school_group(personas.group_a)
    initialise_school_group(personas.group_b)
    return personas
