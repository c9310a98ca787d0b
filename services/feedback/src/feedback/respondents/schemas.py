from pydantic import BaseModel


class Erasure(BaseModel):
    external_id: str
    responses: int
    invitations: int
    events: int
