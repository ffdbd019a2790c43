"""The offline drafter's words, as data: each table maps a tone to the phrasings the
drafter picks from (by a hash of the request), with `str.format` fields for the facts.

The order and number of a table's phrasings are part of its output: the pick is an index
into the tuple, so reordering one changes which wording a given request gets.
"""

TONES = ("professional", "formal", "friendly", "warm", "concise")
TONE_ALIASES = {"casual": "friendly", "brief": "concise", "short": "concise", "direct": "concise"}
HONORIFICS = {"dr", "prof", "mr", "mrs", "ms", "mx", "sir", "dame", "miss"}
ONLINE = {"online", "virtual", "remote", "web", "zoom", "livestream"}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Table = dict[str, tuple[str, ...]]

# Pieces shared by every kind of email.

GREETINGS: Table = {
    "professional": ("Hello {n},", "Hi {n},"),
    "friendly": ("Hi {n},", "Hey {n},"),
    "warm": ("Hi {n},", "Dear {n},"),
    "concise": ("Hi {n},",),
}
FORMAL_GREETING = "Dear {n},"
FORMAL_NAMELESS_GREETING = "Hello,"
NAMELESS_GREETING = {"professional": "Hello,"}
NAMELESS_GREETING_OTHERWISE = "Hi there,"

FAREWELLS: Table = {
    "professional": ("Best regards,", "Kind regards,"),
    "formal": ("Kind regards,", "Yours sincerely,"),
    "friendly": ("Best,", "Cheers,"),
    "warm": ("Warm regards,", "All the best,"),
    "concise": ("Thanks,", "Best,"),
}
UNSIGNED_CLOSING = {"concise": "Thanks!"}
UNSIGNED_CLOSING_OTHERWISE = "Looking forward to hearing from you."

# The first email.

EVENT_SUBJECTS: Table = {
    "professional": ("Meeting at {event}?", "{event}: a short meeting?"),
    "formal": ("Meeting request: {event}", "Request for a meeting at {event}"),
    "friendly": ("Coffee at {event}?", "Meeting up at {event}?"),
    "warm": ("Would love to meet at {event}", "Hello ahead of {event}"),
    "concise": ("{event}: 15 minutes?",),
}
FIRST_NAME_EVENT_SUBJECT = "{first_name}, coffee at {event}?"
"""Added to the friendly and warm subjects when the contact's first name is known."""
FORMAL_SUBJECT = "Introduction and a short request"
SUBJECTS = ("A quick hello", "A short call?")
SENDER_SUBJECT = "Introduction: {sender}"
TOPIC_SUBJECT = "{topic}: a short conversation?"

WARM_PLEASANTRIES = ("I hope this finds you well!", "I hope you're having a good week.")
INTRODUCTIONS = {"formal": "My name is {sender}.", "professional": "My name is {sender}."}
INTRODUCTION_OTHERWISE = "I'm {sender}."

EVENT_HOOKS: Table = {
    "professional": (
        "I'm reaching out ahead of {e}{c}.",
        "I'm getting in touch ahead of {e}{c}.",
    ),
    "formal": (
        "I am writing to you ahead of {e}{c}.",
        "I am contacting you in advance of {e}{c}.",
    ),
    "friendly": (
        "I saw that {e} is coming up{s} and wanted to say hello.",
        "With {e} coming up{s}, I thought I'd reach out.",
    ),
    "warm": (
        "With {e} coming up{s}, I wanted to reach out.",
        "{E} is coming up{s}, and I wanted to say hello.",
    ),
    "concise": ("A quick note ahead of {e}{c}.",),
}
"""{e}: the event, {E}: it capitalised, {c}: ", taking place <when and where>",
{s}: " <when and where>"."""
HOOKS: Table = {
    "professional": ("I wanted to reach out and introduce myself.",),
    "formal": ("I am writing to introduce myself.",),
    "friendly": ("I wanted to reach out and say hello.",),
    "warm": ("I wanted to reach out and say hello.",),
    "concise": ("A quick note to introduce myself.",),
}

INTEREST_VERBS: Table = {
    "professional": ("caught my attention", "stood out to me"),
    "formal": ("is of particular interest to me",),
    "friendly": ("really caught my eye",),
    "warm": ("really resonated with me",),
    "concise": ("is very relevant to what I do",),
}
WHY_ROLE_AND_TOPICS = "{role}, especially around {topics}, {verb}"
WHY_ROLE = "{role} {verb}"
WHY_TOPICS = "your focus on {topics} {verb}"

AGENDAS: Table = {
    "professional": ("With {agenda} on the agenda, the timing feels right.",),
    "formal": (
        "As the programme covers {agenda}, I believe a conversation there "
        "would be valuable for us both.",
    ),
    "friendly": ("With {agenda} on the agenda, it feels like good timing.",),
    "warm": ("With {agenda} on the agenda, it feels like a lovely chance to connect.",),
}
"""No agenda line in the concise tone."""

EVENT_ASKS: Table = {
    "professional": (
        "Would you be open to a short meeting during the event?",
        "Could we find 20 minutes to meet during the event?",
    ),
    "formal": (
        "Would you be available for a brief meeting during the event?",
        "Might you have twenty minutes for a meeting during the event?",
    ),
    "friendly": (
        "Would you be up for a quick coffee at the event?",
        "Fancy grabbing a coffee while you're there?",
    ),
    "warm": (
        "It would be lovely to meet in person. Would you have time for a coffee during the event?",
    ),
    "concise": ("Could we meet for 15 minutes there?",),
}
ASKS: Table = {
    "professional": ("Would you be open to a short call in the coming weeks?",),
    "formal": ("Would you be available for a brief call in the coming weeks?",),
    "friendly": ("Would you be up for a quick call sometime soon?",),
    "warm": ("Would you be up for a short call in the coming weeks?",),
    "concise": ("Could we talk for 15 minutes?",),
}
LOCAL_TIME_OFFER = " I'm happy to fit around {local_time}."

# Follow-ups.

NEAR_TOMORROW = "tomorrow"
NEAR_DAYS = "only {days} days away"
NEAR_FORTNIGHT = "less than two weeks away"
NEAR_WHEN = "coming up {when}"
DAYS_AWAY = "{days} days away"

FIRST_FOLLOWUP_OPENERS: Table = {
    "professional": ("I wanted to follow up on my note{about}.",),
    "formal": ("I am following up on my previous message{about}.",),
    "friendly": ("Just following up on my last note{about}.",),
    "warm": ("I hope all is well! Just following up on my note{about}.",),
    "concise": ("Following up on my note{about}.",),
}
"""{about}: " about <event>", then ", which is <how near>" when that is known."""
FIRST_FOLLOWUP_EVENT_ASKS = {
    "formal": "Should a short meeting there suit you, I would be glad to arrange a time.",
    "concise": "Still up for 15 minutes there?",
}
FIRST_FOLLOWUP_EVENT_ASK_OTHERWISE = (
    "If a short meeting there works for you, I'd be glad to find a time."
)
FIRST_FOLLOWUP_ASKS = {
    "formal": "Should a brief call suit you, I would be glad to arrange a time.",
    "concise": "Still up for a 15-minute call?",
}
FIRST_FOLLOWUP_ASK_OTHERWISE = "If a short call works for you, I'd be glad to find a time."

SECOND_FOLLOWUP_OPENERS = {
    "formal": "I wanted to bring my earlier message up once more{with_event}.",
    "concise": "Bumping this up{with_event}.",
}
SECOND_FOLLOWUP_OPENER_OTHERWISE = "Just bringing this back to the top of your inbox{with_event}."
SECOND_FOLLOWUP_CLOSE = " Happy to fit around your schedule."

LAST_FOLLOWUP_CONCISE = "Last note: no worries if the timing is off."
LAST_FOLLOWUP = "One last note{before}: if the timing doesn't work, no problem at all."

INSTRUCTIONS_SKIPPED = (
    "{skipped} instruction(s) not applied: the offline drafter only adds "
    "'mention that ...' lines; review the draft."
)
