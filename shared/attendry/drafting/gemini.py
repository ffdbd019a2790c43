"""Drafting with Gemini through google-genai, with the limits the library leaves unset.

google.genai costs about half a second to import, so it is imported on the first draft,
not with this module: a function that never drafts with Gemini never pays for it.

Failures come out as the drafting errors: transport problems and 429/5xx only after the
client's own retries (timeout and exponential backoff with jitter, from settings), and a
malformed answer after exactly one more try.
"""

import html
import math
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from attendry.drafting.errors import (
    DraftingError,
    LlmError,
    LlmRateLimited,
    LlmUnavailable,
    validation_summary,
)
from attendry.drafting.models import (
    DraftRequest,
    DraftResult,
    EmailDraft,
    GeneratorInfo,
    LlmUsage,
    reply_subject,
)
from attendry.drafting.prompt import PROMPT_VERSION, Prompt, build_prompt
from attendry.drafting.settings import LlmSettings

if TYPE_CHECKING:
    from google.genai import Client
    from google.genai.errors import APIError
    from google.genai.types import GenerateContentConfig, GenerateContentResponse

RETRYABLE_STATUS = (429, 500, 502, 503, 504)
ANSWERS_PER_DRAFT = 2
_TRANSPORT_MODULES = {"httpx", "httpx2", "httpcore", "aiohttp", "requests", "urllib3"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")


class GeminiDrafter:
    """Drafts with Gemini; the client is built on first use unless one is passed in."""

    def __init__(self, settings: LlmSettings, *, client: "Client | None" = None) -> None:
        if client is None and settings.gemini_api_key is None:
            raise ValueError("GeminiDrafter needs GEMINI_API_KEY (or a client)")
        self._settings = settings
        self._client = client

    def draft(self, request: DraftRequest) -> DraftResult:
        from google.genai import types

        model = request.style.model or self._settings.gemini_model
        prompt = build_prompt(request)
        config = types.GenerateContentConfig(
            system_instruction=prompt.system_instruction,
            response_mime_type="application/json",
            response_schema=EmailDraft,
            temperature=self._settings.gemini_temperature,
            max_output_tokens=self._settings.gemini_max_output_tokens,
            candidate_count=1,
        )
        usage = LlmUsage(model=model)
        problem = ""
        for _ in range(ANSWERS_PER_DRAFT):
            response = self._generate(model, prompt, config, usage)
            if isinstance(response, str):
                usage = usage.plus(0, 0)
                problem = response
                continue
            usage = usage.plus(*_billed_tokens(response))
            draft, problem = _read_draft(response)
            if draft is None:
                continue
            try:
                final = _finish(draft, request)
            except ValidationError as exc:
                problem = f"the draft is invalid once completed: {validation_summary(exc)}"
                continue
            return DraftResult(
                draft=final,
                generator=GeneratorInfo(
                    name="gemini",
                    model=model,
                    prompt_version=PROMPT_VERSION,
                    language=request.style.language,
                ),
                usage=usage,
            )
        raise DraftingError(
            f"Gemini ({model}) gave no usable draft in {ANSWERS_PER_DRAFT} answers; "
            f"last problem: {problem}",
            usage=usage,
        )

    def _client_for_calls(self) -> "Client":
        if self._client is None:
            from google import genai
            from google.genai import types

            settings = self._settings
            assert settings.gemini_api_key is not None
            self._client = genai.Client(
                api_key=settings.gemini_api_key.get_secret_value(),
                vertexai=False,
                http_options=types.HttpOptions(
                    base_url=settings.gemini_base_url,
                    timeout=settings.gemini_timeout_ms,
                    retry_options=types.HttpRetryOptions(
                        attempts=settings.gemini_max_attempts,
                        initial_delay=settings.gemini_retry_initial_delay_s,
                        max_delay=settings.gemini_retry_max_delay_s,
                        exp_base=settings.gemini_retry_exp_base,
                        jitter=settings.gemini_retry_jitter_s,
                        http_status_codes=list(RETRYABLE_STATUS),
                    ),
                ),
            )
        return self._client

    def _generate(
        self, model: str, prompt: Prompt, config: "GenerateContentConfig", usage: LlmUsage
    ) -> "GenerateContentResponse | str":
        """One answer, after the client's retries; a string says why the answer was unreadable."""
        from google.genai import errors

        client = self._client_for_calls()
        try:
            return client.models.generate_content(
                model=model, contents=prompt.user_content, config=config
            )
        except errors.APIError as exc:
            raise self._api_failure(exc, usage) from exc
        except ValueError as exc:
            return f"the response could not be read ({exc})"
        except Exception as exc:
            if _is_transport_failure(exc):
                raise self._transport_failure(exc, usage) from exc
            raise

    def _api_failure(self, exc: "APIError", usage: LlmUsage) -> LlmError:
        what = f"{exc.code} {exc.status or ''}".strip()
        if exc.code in RETRYABLE_STATUS:
            what += f", {self._settings.gemini_max_attempts} attempts"
        said = f": {str(exc.message).rstrip('.')}" if exc.message else ""
        if exc.code == 429:
            return LlmRateLimited(
                f"Gemini is rate limiting ({what}){said}.",
                usage=usage,
                retry_after_s=_retry_delay(exc.details),
            )
        if exc.code == 408 or exc.code >= 500:
            return LlmUnavailable(f"Gemini is unavailable ({what}){said}.", usage=usage)
        hint = (
            " Check GEMINI_API_KEY and the model name." if exc.code in (400, 401, 403, 404) else ""
        )
        return DraftingError(f"Gemini refused the request ({what}){said}.{hint}", usage=usage)

    def _transport_failure(self, exc: Exception, usage: LlmUsage) -> LlmUnavailable:
        attempts = self._settings.gemini_max_attempts
        if _is_timeout(exc):
            why = f"did not answer within {self._settings.gemini_timeout_ms} ms"
        else:
            why = f"could not be reached ({type(exc).__name__}: {exc})"
        return LlmUnavailable(f"Gemini {why} in any of {attempts} attempts.", usage=usage)


def _is_transport_failure(exc: BaseException) -> bool:
    """Network trouble from whichever HTTP library google-genai was installed with."""
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return any(cls.__module__.split(".")[0] in _TRANSPORT_MODULES for cls in type(exc).__mro__)


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or any(
        "Timeout" in cls.__name__ for cls in type(exc).__mro__
    )


def _retry_delay(details: Any) -> float | None:
    """The server's RetryInfo hint ("37s"), which the task runner can wait for."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    for item in error.get("details", []) if isinstance(error, dict) else []:
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        match = _DURATION.match(delay) if isinstance(delay, str) else None
        if match:
            return math.ceil(float(match.group(1)) * 1000) / 1000
    return None


def _billed_tokens(response: "GenerateContentResponse") -> tuple[int, int]:
    """Input and output tokens as Google bills them: thinking tokens are output."""
    meta = response.usage_metadata
    if meta is None:
        return 0, 0
    output = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return meta.prompt_token_count or 0, output


def _read_draft(response: "GenerateContentResponse") -> tuple[EmailDraft | None, str]:
    if isinstance(response.parsed, EmailDraft):
        return response.parsed, ""
    candidates = response.candidates or []
    parts = (candidates[0].content.parts if candidates and candidates[0].content else None) or []
    text = "".join(part.text for part in parts if part.text and not part.thought)
    if not text.strip():
        finish = candidates[0].finish_reason if candidates else None
        blocked = response.prompt_feedback.block_reason if response.prompt_feedback else None
        reason = getattr(finish or blocked, "value", None) or "none given"
        return None, f"the answer had no text (reason: {reason})"
    try:
        return EmailDraft.model_validate_json(text), ""
    except ValidationError as exc:
        return None, f"the answer did not match the draft schema ({validation_summary(exc)})"


def _finish(draft: EmailDraft, request: DraftRequest) -> EmailDraft:
    """Apply what the application decides, not the model: thread subject and signature."""
    subject = draft.subject
    if request.kind == "followup":
        subject = reply_subject(request.previous_messages[0].subject)
    text = draft.text_body.replace("\r\n", "\n").strip()
    page = draft.html_body.strip() if draft.html_body else None
    signature = request.style.signature
    if signature:
        signature = signature.replace("\r\n", "\n").strip()
        text = f"{text}\n\n{signature}"
        if page:
            page += f"<p>{html.escape(signature).replace(chr(10), '<br>')}</p>"
    return EmailDraft(subject=subject, text_body=text, html_body=page)
