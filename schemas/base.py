"""The base every wire record derives from."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.types import TsNs


class Record(BaseModel):
    """A frozen, strict record with a ``kind`` discriminator and an event time."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    KIND: ClassVar[str] = ""
    kind: str
    ts_event: TsNs

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        default = cls.model_fields["kind"].default
        if isinstance(default, str):
            cls.KIND = default

    def natural_id(self) -> str:
        """The id that makes a repeated delivery of the same fact recognisable.

        Kinds with an id of their own (a fill's ExecID, a trade's id) override this;
        the default is a hash of the canonical content.
        """
        digest = hashlib.blake2b(self.model_dump_json().encode(), digest_size=16).hexdigest()
        return f"{self.KIND}:{digest}"
