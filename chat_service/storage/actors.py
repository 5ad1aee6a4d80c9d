"""Who did something, as the stored documents name them: `{role, id}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict


class ActorDoc(TypedDict):
    role: str
    id: str


def actor_doc(actor: ActorDoc | Mapping[str, str]) -> ActorDoc:
    """`{role, id}` from a mapping that has them."""
    return {"role": actor["role"], "id": actor["id"]}
