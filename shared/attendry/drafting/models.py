"""What a drafter is given and what it gives back.

The drafter sees no database row and no recipient address it could change: the caller
builds a `DraftRequest` from the contact, the event and the agent's settings, and decides
itself who the resulting `EmailDraft` goes to.
"""

import re
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    model_validator,
)

from attendry.email.headers import header_text

SUBJECT_MAX = 150
TEXT_BODY_MAX = 8_000
HTML_BODY_MAX = 20_000

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_SPACES = re.compile(r"\s+")


def _one_line(value: object) -> object:
    """Collapse every run of whitespace, line breaks included, into one space.

    A subject ends up in a mail header: a CR or LF from a user or an LLM must never reach it.
    """
    if isinstance(value, str):
        return _SPACES.sub(" ", _LINE_BREAKS.sub(" ", value)).strip()
    return value


def _stripped_or_none(value: object) -> object:
    """Blank optional text counts as missing, so no drafter ever writes around an empty name."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _clean_topics(value: object) -> object:
    if isinstance(value, list):
        return [" ".join(str(t).split()) for t in value if str(t).strip()]
    return value


_BLANK_IS_NONE = BeforeValidator(_stripped_or_none)
OneLine = Annotated[str, BeforeValidator(_one_line)]
Line100 = Annotated[Annotated[OneLine, Field(max_length=100)] | None, _BLANK_IS_NONE]
Line200 = Annotated[Annotated[OneLine, Field(max_length=200)] | None, _BLANK_IS_NONE]
Line300 = Annotated[Annotated[OneLine, Field(max_length=300)] | None, _BLANK_IS_NONE]
Line2k = Annotated[Annotated[OneLine, Field(max_length=2_000)] | None, _BLANK_IS_NONE]
Text2k = Annotated[Annotated[str, Field(max_length=2_000)] | None, _BLANK_IS_NONE]
Text10k = Annotated[Annotated[str, Field(max_length=10_000)] | None, _BLANK_IS_NONE]
Text20k = Annotated[Annotated[str, Field(max_length=20_000)] | None, _BLANK_IS_NONE]
Topics = Annotated[list[str], BeforeValidator(_clean_topics), Field(max_length=50)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContactInfo(_Input):
    """The person written to. `email` is carried for the caller only: no drafter reads it."""

    name: Line200 = None
    email: Line300 = None
    title: Line200 = None
    company: Line200 = None
    bio: Text10k = None
    topics: Topics = Field(default_factory=list)
    timezone: Line100 = None


class EventInfo(_Input):
    """The event the outreach is about; every field may be missing."""

    title: Line300 = None
    description: Text20k = None
    location: Line300 = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    url: Line2k = None
    topics: Topics = Field(default_factory=list)


class AgentStyle(_Input):
    """How the agent writes: the writing part of the agent's settings.

    `model` overrides the configured Gemini model for this agent; it is restricted to a
    model-name alphabet because it becomes part of the request URL.
    """

    tone: Annotated[str, BeforeValidator(_one_line), Field(max_length=40)] = "professional"
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")] = "en"
    sender_name: Line100 = None
    signature: Text2k = None
    model: Annotated[str | None, Field(pattern=r"^[a-z0-9][a-z0-9.\-]{0,99}$")] = None


class PreviousMessage(_Input):
    """An email already sent in this thread, oldest first."""

    subject: Annotated[OneLine, Field(min_length=1, max_length=SUBJECT_MAX * 2)]
    body: Annotated[str, Field(max_length=TEXT_BODY_MAX * 2)]
    sent_at: datetime | None = None


class DraftRequest(_Input):
    """Everything a drafter needs for one email, and nothing that says where it goes."""

    contact: ContactInfo
    event: EventInfo | None = None
    style: AgentStyle = Field(default_factory=AgentStyle)
    instructions: Text2k = None
    kind: Literal["initial", "followup"] = "initial"
    sequence_step: NonNegativeInt = 0
    previous_messages: list[PreviousMessage] = Field(default_factory=list, max_length=20)
    days_until_event: int | None = None

    @model_validator(mode="after")
    def _followup_has_a_thread(self) -> Self:
        if self.kind == "followup":
            if not self.previous_messages:
                raise ValueError("a follow-up needs the previous messages of its thread")
            if self.sequence_step < 1:
                raise ValueError("a follow-up's sequence_step starts at 1")
        elif self.sequence_step != 0:
            raise ValueError("an initial email has sequence_step 0")
        return self


class EmailDraft(BaseModel):
    """One email as a drafter writes it; also the structured-output schema given to Gemini.

    There is deliberately no recipient here: whatever an LLM answers, it cannot address
    the email to anyone.
    """

    model_config = ConfigDict(extra="ignore")

    subject: Annotated[
        OneLine,
        Field(min_length=1, max_length=SUBJECT_MAX, description="One line, no line breaks."),
        AfterValidator(header_text("subject")),
    ]
    text_body: Annotated[
        str,
        Field(min_length=20, max_length=TEXT_BODY_MAX, description="The plain-text email body."),
    ]
    html_body: Annotated[
        str | None,
        Field(
            default=None,
            max_length=HTML_BODY_MAX,
            description="Optional: the same email with simple HTML (p, br, strong, em, a).",
        ),
    ] = None


_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw)(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def reply_subject(original: str) -> str:
    """`Re: <original subject>` once, however many reply prefixes the original carried.

    Mail clients thread on this as well as on References, so every follow-up must keep it.
    """
    subject = str(_one_line(original))
    bare = _REPLY_PREFIX.sub("", subject) or subject
    reply = f"Re: {bare}"
    if len(reply) > SUBJECT_MAX:
        reply = reply[: SUBJECT_MAX - 1].rstrip() + "…"
    return reply


class GeneratorInfo(BaseModel):
    """Which drafter wrote a draft, kept with the draft so a reviewer knows what to expect."""

    name: Literal["gemini", "offline"]
    model: str | None
    prompt_version: str
    language: str = Field(description="The language the draft is written in.")
    notes: list[str] = Field(
        default_factory=list, description="What the drafter could not honour, in words."
    )


class LlmUsage(BaseModel):
    """Tokens billed for one drafting, summed over its calls (a malformed answer costs too)."""

    model: str
    input_tokens: NonNegativeInt = 0
    output_tokens: NonNegativeInt = 0
    calls: NonNegativeInt = 0

    def plus(self, input_tokens: int, output_tokens: int) -> "LlmUsage":
        return LlmUsage(
            model=self.model,
            input_tokens=self.input_tokens + input_tokens,
            output_tokens=self.output_tokens + output_tokens,
            calls=self.calls + 1,
        )


class DraftResult(BaseModel):
    """A draft, who wrote it, and what it cost; `usage` is None when no LLM was called."""

    draft: EmailDraft
    generator: GeneratorInfo
    usage: LlmUsage | None = None
