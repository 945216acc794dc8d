"""factory_boy factories for the ENT's models."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from ent import models
from ent.identifiers import make_uai
from imports.models import ImportRun


class SchoolGroupFactory(DjangoModelFactory):
    class Meta:
        model = models.SchoolGroup

    name = factory.Sequence(lambda n: f"Cité scolaire {n}")


class EstablishmentFactory(DjangoModelFactory):
    class Meta:
        model = models.Establishment

    school_group = factory.SubFactory(SchoolGroupFactory)
    uai = factory.Sequence(lambda n: make_uai(f"{760000 + n:07d}"))
    name = factory.Sequence(lambda n: f"Collège {n}")
    kind = models.Establishment.Kind.COLLEGE


class SchoolYearFactory(DjangoModelFactory):
    class Meta:
        model = models.SchoolYear

    school_group = factory.SubFactory(SchoolGroupFactory)
    start_date = dt.date(2026, 9, 1)
    end_date = dt.date(2027, 7, 4)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = models.Person

    kind = models.Person.Kind.STUDENT
    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name", locale="fr_FR")
    birth_date = dt.date(2012, 5, 17)
    aaf_jointure = factory.Sequence(lambda n: f"J{n:06d}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password("motdepasse-de-test")


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    school_group = factory.SubFactory(SchoolGroupFactory)
    name = Role.Name.MANAGER


class ImportRunFactory(DjangoModelFactory):
    """An import run as a deposit leaves it (RECEIVED); pass ``status`` and times to move it on."""

    class Meta:
        model = ImportRun

    school_group = factory.SubFactory(SchoolGroupFactory)
    mode = ImportRun.Mode.AUTOMATIC
    file = "deposits/x.xml"
    original_filename = "x.xml"
    sha256 = "a" * 64
    size = 1
    received_at = factory.LazyFunction(timezone.now)
