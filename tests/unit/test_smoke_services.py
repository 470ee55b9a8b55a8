from datetime import date

from crm_core.services import contacts as svc
from crm_core.services.dashboard import dashboard
from crm_core.services.contacts import View


def test_create_search_list_dashboard(session_factory, alice, today):
    with session_factory.begin() as s:
        c = svc.create_contact(
            s, alice.id,
            {"name": " Jane  Smith ", "contact_type": "prevention_prospect", "email": "J@X.com",
             "phone": "07700 900123", "next_followup_date": "tomorrow", "potential_value": "1,500"},
            today=today,
        )
        cid = c.id
    with session_factory() as s:
        found = svc.search_contacts(s, "jane")
        assert [x.id for x in found] == [cid]
        assert svc.search_contacts(s, "07700 900")[0].id == cid
        page = svc.list_contacts(s, alice.id)
        assert page.total == 1 and page.items[0].name == "Jane Smith"
        d = dashboard(s, alice.id, View.MINE, today)
        assert d.potential_revenue == 1500 and d.due_today == 0
        assert page.items[0].next_followup_date == date(2026, 11, 24)
