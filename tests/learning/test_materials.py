"""Study materials: attachments are checked for type and size; a refused file saves nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengdun.learning import services
from zhengdun.learning.models import StudyMaterial


def test_a_good_pdf_is_kept_and_downloadable(cast, client_for):
    pdf = SimpleUploadedFile("学习.pdf", b"%PDF-1.4\n...", content_type="application/pdf")
    material = services.material_create(actor=cast.admin_a, unit=cast.county_a, title="辅导材料",
                                        category="political", upload=pdf)
    assert material.attachment_name == "学习.pdf"
    response = client_for(cast.officer_a).get(f"/learning/materials/{material.id}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("name,content,reason", [
    ("run.exe", b"MZ\x90\x00", "类型不被接受"),
    ("fake.pdf", b"MZ\x90\x00 not a pdf", "内容与扩展名"),
    ("empty.docx", b"", "空文件"),
])
def test_bad_files_are_refused_and_nothing_saved(cast, name, content, reason):
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError) as info:
        services.material_create(actor=cast.admin_a, unit=cast.county_a, title="坏文件", category="warning",
                                 upload=upload)
    assert reason in str(info.value) and name in str(info.value)
    assert StudyMaterial.objects.count() == 0


def test_oversized_file_is_refused(cast, settings):
    settings.LEARNING_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError) as info:
        services.material_create(actor=cast.admin_a, unit=cast.county_a, title="大文件", category="warning",
                                 upload=SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 100))
    assert "过大" in str(info.value)
    assert StudyMaterial.objects.count() == 0


def test_refusal_is_shown_on_the_page(cast, client_for):
    page = client_for(cast.admin_a).post("/learning/materials/new/", {
        "unit": cast.county_a.id, "title": "坏文件", "category": "warning", "published_on": "2026-01-01",
        "attachment": SimpleUploadedFile("run.exe", b"MZ")})
    assert page.status_code == 200 and "类型不被接受" in page.content.decode()
    assert StudyMaterial.objects.count() == 0


def test_clerks_do_not_publish(cast, client_for):
    assert client_for(cast.clerk_a).get("/learning/materials/new/").status_code == 403
