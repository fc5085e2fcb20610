"""The services enforce what the forms promise: a pledge letter needs its scan, and the scan is an
image or a PDF; a talk's talker must be someone the recording user may see."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.campaigns.factories import running_campaign
from zhengdun.activities.models import EvidenceFile, PledgeLetter, TalkRecord
from zhengdun.activities.services import pledge_create, talk_create

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


def office_file(member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, "<x/>")
    return buf.getvalue()


@pytest.fixture
def campaign(cast):
    return running_campaign(cast)


def pledge(cast, campaign, scan):
    return pledge_create(actor=cast.clerk_a, campaign=campaign, officer=cast.officers["judge_a"],
                         signed_date=dt.date.today(), scan=scan)


def test_a_pledge_without_its_scan_is_refused(cast, campaign):
    with pytest.raises(ValidationError) as exc:
        pledge(cast, campaign, None)
    assert exc.value.message_dict == {"scan": ["请上传签字后的承诺书扫描件（jpg、png 或 pdf）"]}
    assert not PledgeLetter.objects.exists()


@pytest.mark.parametrize("name,content", [("承诺书.docx", office_file("word/document.xml")),
                                          ("承诺书.xlsx", office_file("xl/workbook.xml"))])
def test_an_office_file_is_not_a_scan(cast, campaign, name, content):
    with pytest.raises(ValidationError) as exc:
        pledge(cast, campaign, SimpleUploadedFile(name, content))
    assert exc.value.message_dict == {"scan": [f"文件“{name}”的类型不允许上传：这里只接受 jpg、png、pdf 格式的文件"]}
    assert not PledgeLetter.objects.exists() and not EvidenceFile.objects.exists()


@pytest.mark.parametrize("name,content", [("承诺书.pdf", PDF), ("承诺书.png", PNG), ("承诺书.JPG", b"\xff\xd8\xff" + b"0" * 20)])
def test_images_and_pdfs_are_scans(cast, campaign, name, content):
    letter = pledge(cast, campaign, SimpleUploadedFile(name, content))
    assert letter.evidence.get().kind == "scan"


def test_the_pledge_form_shows_the_scan_error(cast, campaign, client_for):
    r = client_for(cast.clerk_a).post(f"/activities/pledges/new/?unit={cast.court_a.id}", {
        "unit": cast.court_a.id, "campaign": campaign.id, "officer": cast.officers["judge_a"].id,
        "signed_date": dt.date.today().isoformat(),
        "scan": SimpleUploadedFile("承诺书.docx", office_file("word/document.xml"))})
    assert r.status_code == 200 and "这里只接受 jpg、png、pdf 格式的文件" in r.content.decode()
    assert not PledgeLetter.objects.exists()


def test_the_talker_must_be_in_the_actors_scope(cast, campaign):
    with pytest.raises(ValidationError) as exc:
        talk_create(actor=cast.admin_a, campaign=campaign, talker=cast.officers["judge_b"],
                    officer=cast.officers["judge_a"], round=1, date=dt.date.today(), kind="heart")
    assert exc.value.message_dict == {"talker": ["谈话人“王法官”不在您的管辖范围内，请从本单位及下级单位的干警中选择"]}
    assert not TalkRecord.objects.exists()
    # The city office sees both counties: a county B leader may talk with a county A officer.
    talk_create(actor=cast.city_admin, campaign=campaign, talker=cast.officers["judge_b"],
                officer=cast.officers["judge_a"], round=1, date=dt.date.today(), kind="heart")
    assert TalkRecord.objects.count() == 1
