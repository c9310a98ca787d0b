"""Every call the gateway makes to the feedback service."""

from cxshared.client import BackendClient


class FeedbackClient(BackendClient):
    name = "feedback"
