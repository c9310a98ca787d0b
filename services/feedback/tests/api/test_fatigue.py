"""Fatigue rules, decided on the server from one contact ledger."""

from datetime import datetime, timedelta

from sqlmodel import Session

from cxshared.timeutil import utcnow
from feedback.fatigue.models import Contact


def survey(api, slug, **settings):
    created = api.created(
        "/v1/surveys",
        {
            "slug": slug,
            "title": slug,
            **settings,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True}
            ],
        },
    )
    api.post(f"/v1/surveys/{created['id']}/publish")
    return created


def asked(api, who, survey_id, channel, days_ago, kind="shown"):
    with Session(api.client.app.state.engine) as session:
        session.add(
            Contact(
                respondent_external_id=who,
                survey_id=survey_id,
                channel=channel,
                kind=kind,
                at=utcnow() - timedelta(days=days_ago),
            )
        )
        session.commit()


def eligibility(api, slug, who):
    return api.client.get(
        f"/v1/public/surveys/{slug}/eligibility", params={"respondent": who}
    ).json()


def until_in_days(block):
    until = datetime.fromisoformat(block["until"])
    return round((until - utcnow()).total_seconds() / 86400)


def test_eligibility_across_two_surveys_and_two_channels(api):
    delivery = survey(api, "delivery", fatigue_days=30)
    returns = survey(api, "returns")
    assert (
        api.post(
            "/v1/fatigue-rules", {"kind": "once_per_days", "days": 14}, headers=api.admin
        ).status_code
        == 201
    )
    api.post(
        "/v1/fatigue-rules", {"kind": "max_per_days", "days": 30, "max_count": 2}, headers=api.admin
    )

    # Pat was shown the delivery survey on the web today.
    shown = api.client.post(
        "/v1/public/surveys/delivery/shown",
        json={"respondent": {"external_id": "pat"}, "channel": "web"},
    )
    assert shown.status_code == 200
    pat_delivery = eligibility(api, "delivery", "pat")
    assert pat_delivery["eligible"] is False
    assert [(b["rule"], until_in_days(b)) for b in pat_delivery["blocked_by"]] == [
        ("survey_once_per_days", 30),
        ("once_per_days", 14),
    ]
    # The delivery survey's own rule does not hold for the returns survey; the global one does.
    pat_returns = eligibility(api, "returns", "pat")
    assert [(b["rule"], until_in_days(b)) for b in pat_returns["blocked_by"]] == [
        ("once_per_days", 14)
    ]

    # Quinn was invited to returns by email 20 days ago and shown delivery by SMS 10 days ago.
    asked(api, "quinn", returns["id"], "email", 20, kind="invited")
    asked(api, "quinn", delivery["id"], "sms", 10)
    quinn = eligibility(api, "returns", "quinn")
    assert [(b["rule"], until_in_days(b)) for b in quinn["blocked_by"]] == [
        ("max_per_days", 10),
        ("once_per_days", 4),
    ]
    assert "2 times in the last 30 days" in quinn["blocked_by"][0]["detail"]
    # Asks older than every window do not count.
    asked(api, "robin", delivery["id"], "web", 45)
    assert eligibility(api, "delivery", "robin") == {"eligible": True, "blocked_by": []}


def test_invitations_skip_people_asked_too_recently_and_say_why(api):
    returns = survey(api, "returns")
    api.post("/v1/fatigue-rules", {"kind": "once_per_days", "days": 14}, headers=api.admin)
    asked(api, "pat", "another-survey", "sms", 3)
    result = api.post(
        f"/v1/surveys/{returns['id']}/invitations",
        {"respondents": [{"external_id": "pat"}, {"external_id": "robin"}]},
    ).json()
    assert [c["external_id"] for c in result["created"]] == ["robin"]
    [skipped] = result["skipped"]
    assert (skipped["external_id"], skipped["reason"]) == ("pat", "fatigue:once_per_days")
    assert "3 days ago" in skipped["detail"]
    # Being invited is being asked.
    assert eligibility(api, "returns", "robin")["eligible"] is False


def test_without_rules_everyone_is_eligible(api):
    survey(api, "delivery")
    asked(api, "pat", "x", "web", 0)
    assert eligibility(api, "delivery", "pat") == {"eligible": True, "blocked_by": []}
    assert (
        api.post(
            "/v1/fatigue-rules", {"kind": "max_per_days", "days": 0}, headers=api.admin
        ).status_code
        == 422
    )
    assert (
        api.post(
            "/v1/fatigue-rules", {"kind": "once_per_days", "days": 7}, headers=api.writer
        ).status_code
        == 403
    )


def test_a_rule_refuses_true_as_a_number_of_days(api):
    refused = api.post(
        "/v1/fatigue-rules", {"kind": "once_per_days", "days": True}, headers=api.admin
    )
    assert refused.status_code == 422
    assert api.get("/v1/fatigue-rules", headers=api.admin).json() == []
