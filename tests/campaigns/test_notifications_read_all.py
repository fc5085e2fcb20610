"""“全部标为已读”: every unread reminder in the user's scope, nothing outside it, audited."""

import datetime as dt

from tests.campaigns.factories import running_campaign
from zhengdun.audit.models import AuditEntry
from zhengdun.campaigns.models import Notification
from zhengdun.campaigns.services import required_action_create


def test_mark_all_read_is_scoped_and_audited(cast, client_for):
    campaign = running_campaign(cast)
    today = dt.date.today()
    action = required_action_create(actor=cast.city_admin, campaign=campaign, issuing_unit=cast.city, title="动作",
                                    deadline=today + dt.timedelta(days=2))
    for unit in (cast.court_a, cast.police_a, cast.court_b):
        Notification.objects.create(unit=unit, action=action, kind="due_soon", day=today, message="提醒")
    client = client_for(cast.admin_a)
    page = client.get("/campaigns/notifications/").content.decode()
    assert "全部标为已读" in page and "/campaigns/notifications/read-all/" in page
    assert client.get("/campaigns/notifications/read-all/").status_code == 405
    response = client.post("/campaigns/notifications/read-all/")
    assert response.status_code == 302 and response["Location"] == "/campaigns/notifications/"
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("unit_id", flat=True))
    assert unread == {cast.court_b.id}
    assert AuditEntry.objects.filter(action="notification.read_all").count() == 2
    assert "全部标为已读" not in client.get("/campaigns/notifications/").content.decode()
    assert client_for(cast.officer_a).post("/campaigns/notifications/read-all/").status_code == 403
