"""The manual import page and "Appliquer quand même" on a blocked run."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from imports.models import ImportRun
from tests.conftest import PASSWORD, Personas

EDT = b'<?xml version="1.0" encoding="UTF-8"?>\n<ExportEmploiDuTemps Version="1.1"/>\n'


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _stored_bytes(run: ImportRun) -> bytes:
    with run.file.open("rb") as stored:
        return stored.read()


def test_an_uploaded_file_becomes_a_queued_manual_run_with_the_exact_bytes(
    personas: Personas,
) -> None:
    url = f"/cites/{personas.group_a.pk}/imports/manuel/"
    upload = SimpleUploadedFile("EDT_rentree.xml", EDT, content_type="text/xml")

    response = _client("alice").post(
        url, {"file": upload, "target": str(personas.lycee_a.pk), "apply_anyway": "on"}
    )

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cites/{personas.group_a.pk}/imports/{run.pk}/"
    assert (run.mode, run.status, run.apply_anyway) == ("MANUAL", "RECEIVED", True)
    assert run.establishment == personas.lycee_a
    assert run.deposited_by == personas.alice
    assert _stored_bytes(run) == EDT
    detail = _client("alice").get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in detail
    assert "Le fichier « EDT_rentree.xml » est reçu" not in detail  # shown once, on redirect


def test_the_whole_school_group_is_the_default_target(personas: Personas) -> None:
    upload = SimpleUploadedFile("udt.zip", b"PK\x03\x04data")

    _client("alice").post(f"/cites/{personas.group_a.pk}/imports/manuel/", {"file": upload})

    run = ImportRun.objects.get()
    assert run.establishment is None
    assert run.apply_anyway is False


def test_a_file_of_another_type_is_refused_in_french_and_nothing_is_stored(
    personas: Personas,
) -> None:
    upload = SimpleUploadedFile("emploi.pdf", b"%PDF-1.7")

    response = _client("alice").post(
        f"/cites/{personas.group_a.pk}/imports/manuel/", {"file": upload}
    )

    assert response.status_code == 200
    assert "seuls les fichiers .xml" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_another_school_groups_manager_cannot_import_for_it(personas: Personas) -> None:
    upload = SimpleUploadedFile("EDT.xml", EDT)

    response = _client("bob").post(
        f"/cites/{personas.group_a.pk}/imports/manuel/", {"file": upload}
    )

    assert response.status_code == 404
    assert not ImportRun.objects.exists()


def _blocked_run(personas: Personas) -> ImportRun:
    run = ImportRun(
        school_group=personas.group_a,
        establishment=personas.college_a,
        mode=ImportRun.Mode.AUTOMATIC,
        status=ImportRun.Status.BLOCKED,
        original_filename="EDT.xml",
        sha256="b" * 64,
        size=len(EDT),
        received_at=timezone.now(),
    )
    run.file.save("EDT.xml", ContentFile(EDT), save=False)
    run.save()
    return run


def test_applying_a_blocked_run_anyway_queues_its_file_again_confirmed(
    personas: Personas,
) -> None:
    blocked = _blocked_run(personas)
    client = _client("alice")
    page = client.get(f"/cites/{personas.group_a.pk}/imports/{blocked.pk}/").content.decode()

    response = client.post(f"/cites/{personas.group_a.pk}/imports/{blocked.pk}/appliquer/")

    retry = ImportRun.objects.exclude(pk=blocked.pk).get()
    assert "Appliquer quand même" in page
    assert response["Location"] == f"/cites/{personas.group_a.pk}/imports/{retry.pk}/"
    assert (retry.status, retry.apply_anyway, retry.mode) == ("RECEIVED", True, "MANUAL")
    assert (retry.origin, retry.origin_kind) == (blocked, ImportRun.Origin.FORCED)
    assert retry.deposited_by.username == "alice"
    assert retry.establishment == personas.college_a
    assert _stored_bytes(retry) == EDT
    blocked.refresh_from_db()
    assert blocked.status == ImportRun.Status.BLOCKED


def test_only_a_blocked_run_can_be_applied_anyway(personas: Personas) -> None:
    run = _blocked_run(personas)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.INTEGRATED)
    client = _client("alice")

    response = client.post(f"/cites/{personas.group_a.pk}/imports/{run.pk}/appliquer/", follow=True)

    assert ImportRun.objects.count() == 1
    assert "ne peut pas être appliqué de nouveau" in response.content.decode()
    assert (
        client.get(f"/cites/{personas.group_a.pk}/imports/{run.pk}/appliquer/").status_code == 405
    )


def test_the_target_list_offers_only_the_school_groups_establishments(
    personas: Personas,
) -> None:
    url = f"/cites/{personas.group_a.pk}/imports/manuel/"
    client = _client("alice")

    page = client.get(url).content.decode()
    forged = client.post(
        url,
        {
            "file": SimpleUploadedFile("EDT.xml", EDT, content_type="text/xml"),
            "target": str(personas.college_b.pk),
        },
    )

    assert f'value="{personas.college_a.pk}"' in page
    assert f'value="{personas.college_b.pk}"' not in page
    assert forged.status_code == 200
    assert not ImportRun.objects.exists()
