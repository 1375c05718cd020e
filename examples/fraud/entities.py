"""Entities of the fraud example: what features are keyed on."""

from __future__ import annotations

from fsql import Entity

user = Entity(
    "user",
    join_keys=["user_id"],
    description="A card holder (account) of the payment platform.",
)

merchant = Entity(
    "merchant",
    join_keys=["merchant_id"],
    description="A merchant accepting payments on the platform.",
)
