"""Routes of the Planning agent: ranked events, a plan per event, delegation, activity."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from attendry.core.clock import system_clock
from attendry.db.engine import read_scope, session_scope
from attendry.http.auth import current_user_id
from attendry.http.params import DEFAULT_LIMIT, Limit, RankCursorParam
from attendry.http.responses import answers
from attendry.http.schemas import Page
from attendry.opportunities import activity as opportunity_activity
from attendry.opportunities.schemas import Opportunity
from attendry.outreach.schemas import Draft, Sent
from attendry.planning import service as planning
from attendry.planning.rules import STANDING_REASONS
from attendry.planning.schemas import (
    ActivityCounts,
    DelegateRequest,
    DelegationResult,
    OpportunityActivity,
    OpportunityRecommendation,
    RankedOpportunity,
    RecommendedAgent,
    RecommendedContact,
    SkippedContact,
)
from attendry.planning.speakers import Speaker
from attendry.tasks.schemas import Task

router = Router()
TAGS = ["planning"]


@router.get(
    "/recommendations",
    summary="Your events ranked by the Planning agent, with score and reasons",
    description="Events not archived and not over, best first. `recommended` marks those "
    "at or above your Planning agent's `min_score` with someone to write to.",
    tags=TAGS,
)
def list_recommendations(
    limit: Limit = DEFAULT_LIMIT, cursor: RankCursorParam = None
) -> Page[RankedOpportunity]:
    with read_scope() as session:
        ranked, next_cursor = planning.ranked_opportunities(
            session, current_user_id(router), system_clock(), limit=limit, cursor=cursor
        )
        items = [
            RankedOpportunity(
                opportunity=Opportunity.model_validate(row),
                score=r.assessment.score,
                reasons=list(r.assessment.reasons),
                recommended=r.recommended,
                reachable_contacts=r.reachable,
            )
            for r, row in ranked
        ]
    return Page[RankedOpportunity](items=items, next_cursor=next_cursor)


@router.get(
    "/opportunities/<opportunity_id>/recommendations",
    summary="Which agent and speakers the Planning agent recommends for an event, and why",
    tags=TAGS,
)
def get_recommendation(opportunity_id: UUID) -> OpportunityRecommendation:
    with read_scope() as session:
        plan = planning.plan_for(session, current_user_id(router), opportunity_id, system_clock())
        return OpportunityRecommendation(
            opportunity_id=plan.opportunity.id,
            score=plan.assessment.score,
            reasons=list(plan.assessment.reasons),
            recommended=plan.recommended,
            min_score=plan.min_score,
            agent=RecommendedAgent(id=plan.agent.id, name=plan.agent.name) if plan.agent else None,
            agent_reason=plan.agent_reason,
            contacts=[
                RecommendedContact(
                    contact_id=contact.id,
                    name=contact.name,
                    email=contact.email,
                    title=contact.title,
                    company=contact.company,
                    reasons=list(reasons),
                )
                for contact, reasons in plan.contacts
            ],
            not_recommended=_skipped(plan.not_recommended),
        )


@router.post(
    "/opportunities/<opportunity_id>/delegate",
    summary="Delegate an event: outreach tasks for the chosen (or recommended) speakers",
    description="Answers 202 with one queued `draft_outreach` task per speaker who can be "
    "written to; the others are listed in `skipped` with the reason. Without `contact_ids`, "
    "the recommended speakers. 409 when the event is over (`event_over`), when no one can "
    "be written to (`nothing_to_delegate`), or without an active Outreach agent "
    "(`no_outreach_agent`).",
    tags=TAGS,
    responses=answers(
        HTTPStatus.ACCEPTED,
        DelegationResult,
        "The tasks are stored and queued.",
        conflict="`event_over`, `nothing_to_delegate` or `no_outreach_agent`.",
    ),
)
def delegate(
    opportunity_id: UUID, body: Annotated[DelegateRequest | None, Body()] = None
) -> tuple[DelegationResult, int]:
    with session_scope() as session:
        done = planning.delegate(
            session,
            current_user_id(router),
            opportunity_id,
            body or DelegateRequest(),
            system_clock(),
        )
        result = DelegationResult(
            opportunity_id=done.opportunity.id,
            agent_id=done.agent.id,
            tasks=[Task.model_validate(task) for task in done.tasks],
            skipped=_skipped(done.skipped),
        )
    return result, HTTPStatus.ACCEPTED


@router.get(
    "/opportunities/<opportunity_id>/activity",
    summary="The agents' activity on an event: tasks, drafts, sends, replies",
    tags=TAGS,
)
def get_activity(opportunity_id: UUID, limit: Limit = DEFAULT_LIMIT) -> OpportunityActivity:
    with read_scope() as session:
        activity = opportunity_activity.opportunity_activity(
            session, current_user_id(router), opportunity_id, limit=limit
        )
        return OpportunityActivity(
            opportunity_id=activity.opportunity_id,
            counts=ActivityCounts(**activity.counts),
            tasks=[Task.model_validate(row) for row in activity.tasks],
            drafts=[Draft.from_row(row) for row in activity.drafts],
            sent=[Sent.from_row(row) for row in activity.sent],
            replies=[Sent.from_row(row) for row in activity.replies],
        )


def _skipped(speakers: list[Speaker]) -> list[SkippedContact]:
    return [
        SkippedContact(
            contact_id=s.contact.id,
            name=s.contact.name,
            standing=s.standing,
            reason=STANDING_REASONS[s.standing],
        )
        for s in speakers
    ]
