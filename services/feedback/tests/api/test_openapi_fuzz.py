"""Schemathesis against feedback's own OpenAPI finds nothing."""

import pytest

from cxshared.testing.fuzz import assert_conforms

pytestmark = pytest.mark.long


def test_feedback_api_conforms_to_its_schema(api, published):
    operations = assert_conforms(
        api.client.app,
        headers=api.admin,
        # Answers are judged against each survey's own questions, which no schema can know.
        semantic_field_codes={
            "unsafe_url",
            "required",
            "invalid_answer",
            "not_shown",
            "unknown_question",
            "invalid_transition",
            "invalid_window",
            "invalid_condition",
            "out_of_range",
        },
        semantic_problems={
            "survey-paused",
            "survey-closed",
            "survey-not-open-yet",
            "survey-full",
            "invitation-not-found",
            "invitation-expired",
            "invitation-answered",
            "already-complete",
            "has-responses",
            "no-questions",
            "nothing-to-publish",
            "invalid-transition",
            # A follow-up link is a token staff make for a resolved case.
            "follow-up-not-found",
            "follow-up-expired",
            "follow-up-answered",
            "case-not-resolved",
            # Reopening a customer's old outreach case while a newer one is being worked.
            "outreach-active",
        },
    )
    assert operations > 20
