"""The plan packet: what the SE runner hands back in the plan phase of a plan-first work order (#17 part 6).

The runner writes it (JSON) to ``$WORKORDER_RESULT_FILE`` like a DoD packet, when ``$WORKORDER_PHASE`` is
``plan``. The action posts it for a person's ``/wo approve``, keeps it in the tracking state, puts it into the
execution prompt, and at review names every file the diff touches outside ``files``
(:mod:`workorder.gates.plan_check`). Like the DoD packet it is a claim, never evidence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..inputs.globs import check_glob
from .packet import _parse_json_model

MAX_PLAN_FILES = 200


class PlanPacket(BaseModel):
    """The runner's plan: the files it will touch (paths or gitignore-style globs), its approach, and the
    tests it will add. JSON Schema: ``PlanPacket.model_json_schema()``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Literal["plan"] = Field(default="plan", description="always plan")
    files: list[str] = Field(min_length=1, max_length=MAX_PLAN_FILES,
                             description="repo-relative paths or gitignore-style globs the work will touch")
    approach: str = Field(min_length=1, max_length=20_000, description="how the work will be done, in a few sentences")
    tests: list[str] = Field(default_factory=list, max_length=MAX_PLAN_FILES,
                             description="the tests it will add or change (test ids or files)")
    risks: list[str] = Field(default_factory=list, max_length=50, description="what could go wrong")

    @field_validator("files")
    @classmethod
    def _globs(cls, value: list[str]) -> list[str]:
        return [check_glob(p) for p in value]


def parse_plan_packet(text: str) -> PlanPacket:
    """Parse the JSON text of a plan packet (held to :mod:`workorder.inputs.bounded`'s limits).

    Raises :class:`workorder.inputs.problems.InvalidInput` naming each bad field; never anything else."""
    return _parse_json_model(text, PlanPacket, "plan packet")
