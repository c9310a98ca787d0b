"""The business the demo builds: a subscription retailer of coffee and kitchen goods, its
customers' journeys, who owns each touchpoint, and what customers say about each."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Point:
    """A touchpoint: how customers feel there (mood, -1 ... +1), what they praise and what
    they complain about."""

    name: str
    channel: str
    team: str | None
    owner: str
    mood: float
    praise: tuple[str, ...]
    complaints: tuple[str, ...]
    moment_of_truth: bool = False
    target: tuple[str, float] | None = None  # (metric, at least)
    standard: str = ""
    survey_metric: str = "csat"  # what its survey asks besides NPS
    interaction: str = ""  # digital or human; left empty, the channel decides
    # A problem the demo plants: the share of visits that go wrong (a parcel left in the rain,
    # an address asked twice), felt much worse than `mood` (a visit that went right). It stays
    # with the customer: the touchpoint weighs `weight` times any other in how loyal they are.
    failure_rate: float = 0.0
    weight: float = 1.0
    # The activity names (from the order and delivery systems) that mean a customer was here;
    # the observed journey is built from them (docs/observed.md).
    activities: tuple[str, ...] = ()
    # The standard's measurable indicator on those activities (docs/observed.md).
    indicator: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    @property
    def kind(self) -> str:
        """Digital or human: a chatbot answers in the chat channel, yet no person is there."""
        if self.interaction:
            return self.interaction
        return "digital" if self.channel in ("web", "mobile_app", "email", "sms") else "human"


@dataclass(frozen=True)
class Stage:
    name: str
    emotion: int
    experience: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Journey:
    name: str
    persona: str
    owner: str
    description: str
    stages: tuple[Stage, ...] = field(default_factory=tuple)


# The problems the demo plants, at the courier and at checkout: how often a visit goes wrong,
# how much worse it is felt (on the -1 ... +1 mood scale), and how much those two touchpoints
# weigh in loyalty against any other (drivers analysis should find them first).
FAILURE_RATE = 0.15
FAILURE_DROP = 1.4
FAILURE_WEIGHT = 5.0

TEAMS = {
    "E-commerce": "Lena Ruiz",
    "Payments": "Ana Silva",
    "Logistics": "Priya Shah",
    "Returns": "Kim Berg",
    "Customer care": "Sam Okafor",
    "Marketing": "Jonas Weber",
}

PERSONAS = {
    "Busy parent": "Orders in spare minutes on the phone; wants it to just work.",
    "Home barista": "Knows the beans; reads every review; notices every detail.",
    "Office manager": "Buys for a team of twenty; needs invoices and reliable dates.",
}


def P(
    name: str,
    channel: str,
    team: str | None,
    owner: str,
    mood: float,
    praise: tuple[str, ...],
    complaints: tuple[str, ...],
    **more: object,
) -> Point:
    return Point(name, channel, team, owner, mood, praise, complaints, **more)  # type: ignore[arg-type]


JOURNEYS = (
    Journey(
        "Buying online",
        "Home barista",
        "Lena Ruiz",
        "From the first visit to the first order, on the web and in the app.",
        (
            Stage("Discover", 1, "I find the right coffee quickly.", (
                P("Search", "web", "E-commerce", "Lena Ruiz", 0.3,
                  ("found my beans in seconds", "the filters by roast are great"),
                  ("search never finds decaf", "results full of things I did not ask for")),
                P("Product page", "web", "E-commerce", "Lena Ruiz", 0.5,
                  ("the tasting notes are spot on", "clear grind options"),
                  ("no roast date on the page", "photos do not match the bag"),
                  moment_of_truth=True, target=("nps", 30),
                  standard="Roast date, origin and grind options on every product"),
                P("Reviews", "web", "Marketing", "Jonas Weber", 0.4,
                  ("honest reviews helped me choose",), ("reviews look fake",)),
                P("Newsletter", "email", "Marketing", "", 0.1,
                  ("nice recipes in the newsletter",), ("too many e-mails every week",)),
                P("App home", "mobile_app", "E-commerce", "Tom Becker", 0.3,
                  ("the app is quick",), ("the app logs me out all the time",)),
                P("Gift finder", "web", "Marketing", "Jonas Weber", 0.4,
                  ("found a gift in two minutes",), ("the gift finder suggested decaf to a fan",)),
            )),
            Stage("Decide and pay", 1, "Paying is quick and I know what I pay.", (
                P("Basket", "web", "E-commerce", "Tom Becker", 0.2,
                  ("basket keeps my items",), ("basket emptied itself overnight",)),
                P("Subscription setup", "web", "E-commerce", "Tom Becker", 0.1,
                  ("easy to choose how often",), ("could not find how to skip a delivery",)),
                P("Checkout", "web", "Payments", "", 0.1,
                  ("checkout took a minute",), ("checkout asked for my address twice",
                                                 "had to create an account to pay"),
                  moment_of_truth=True, target=("ces", 5.5), survey_metric="ces",
                  standard="Three steps or fewer, no forced account",
                  failure_rate=FAILURE_RATE, weight=FAILURE_WEIGHT),
                P("Payment", "web", "Payments", "Ana Silva", 0.0,
                  ("paying by card was instant",), ("my card was declined with no reason",
                                                     "charged twice")),
                P("Discount codes", "web", "Marketing", "Jonas Weber", -0.1,
                  ("the welcome code worked",), ("the code from the e-mail did not work",)),
            )),
            Stage("Confirm", 2, "I know exactly what happens next.", (
                P("Order e-mail", "email", "E-commerce", "Tom Becker", 0.6,
                  ("confirmation came at once", "clear order summary"),
                  ("no delivery date in the e-mail",),
                  target=("csat", 85), standard="Sent within a minute, with the delivery date"),
                P("Account page", "web", "E-commerce", "Lena Ruiz", 0.2,
                  ("easy to see my orders",), ("cannot download an invoice",)),
                P("Welcome e-mail", "email", "Marketing", "", 0.5,
                  ("the brewing guide was lovely",), ("the welcome e-mail went to spam",)),
            )),
        ),
    ),
    Journey(
        "Delivery and returns",
        "Busy parent",
        "Priya Shah",
        "From dispatch to the parcel at the door, and back again when it has to.",
        (
            Stage("Dispatch", 1, "I know when it comes.", (
                P("Dispatch e-mail", "email", "Logistics", "Priya Shah", 0.4,
                  ("told me the day it would come",), ("the e-mail came after the parcel",),
                  activities=("dispatch_email_sent",)),
                P("Tracking page", "web", "Logistics", "", 0.1,
                  ("tracking was accurate",), ("tracking did not update for two days",),
                  standard="Tracking answers the customer: no call to ask where the parcel is",
                  activities=("tracking_viewed",),
                  indicator={"kind": "not_needed", "after_activity": "tracking_viewed",
                             "activity": "support_call", "within_seconds": 2 * 86_400,
                             "objective": 0.95, "declared_activities": ["support_call"]}),
                P("Delivery SMS", "sms", "Logistics", "Priya Shah", 0.3,
                  ("the one-hour slot text is brilliant",), ("the SMS slot was wrong",),
                  activities=("delivery_sms_sent",)),
                P("Safe place", "mobile_app", "Logistics", "Omar Haddad", 0.2,
                  ("could pick a safe place",), ("my safe place note was ignored",),
                  activities=("safe_place_set",)),
                P("Delivery date choice", "web", "Logistics", "Priya Shah", 0.3,
                  ("could pick a Saturday",), ("no evening slots at all",)),
            )),
            Stage("Delivery", 2, "It arrives when promised, in one piece.", (
                P("Courier delivers", "field", "Logistics", "Priya Shah", 0.5,
                  ("the courier was friendly and on time", "arrived a day early"),
                  ("the parcel was left in the rain", "the courier never rang the bell",
                   "had to collect it from the depot"),
                  moment_of_truth=True, target=("nps", 40),
                  standard="On time, handed over or in the safe place, photo on delivery",
                  failure_rate=FAILURE_RATE, weight=FAILURE_WEIGHT,
                  activities=("parcel_delivered",),
                  indicator={"kind": "attribute", "activity": "parcel_delivered",
                             "attribute": "late_days", "operator": "eq", "value": 0,
                             "objective": 0.9}),
                P("Parcel condition", "field", "Logistics", "Omar Haddad", 0.2,
                  ("well packed, nothing broken",), ("the grinder box was crushed",)),
                P("Unboxing", "field", "Marketing", "Jonas Weber", 0.6,
                  ("lovely packaging",), ("too much plastic in the box",)),
            )),
            Stage("Returns", 0, "Sending it back is as easy as ordering.", (
                P("Return request", "web", "Returns", "Kim Berg", 0.0,
                  ("return took two clicks",), ("could not find how to return",),
                  activities=("return_requested",)),
                P("Return label", "email", "Returns", "", -0.1,
                  ("label came straight away",), ("the label never arrived",),
                  standard="The label is in the inbox within 10 minutes of the request",
                  activities=("return_label_sent",),
                  indicator={"kind": "time_between", "from_activity": "return_requested",
                             "to_activity": "return_label_sent", "within_seconds": 600,
                             "objective": 0.95}),
                P("Exchange", "web", "Returns", "Kim Berg", 0.1,
                  ("swapped the grind in a day",), ("the exchange took two weeks",),
                  activities=("exchange_booked",)),
                P("Drop-off", "partner", None, "", -0.2,
                  ("drop-off point round the corner",), ("the drop-off shop refused the parcel",),
                  activities=("return_dropped_off",)),
                P("Refund", "email", "Payments", "Ana Silva", -0.1,
                  ("refund in two days",), ("still waiting for my refund after three weeks",),
                  moment_of_truth=True, target=("csat", 80), activities=("refund_issued",)),
            )),
        ),
    ),
    Journey(
        "Getting support",
        "Office manager",
        "Sam Okafor",
        "From a question to an answer that sticks.",
        (
            Stage("Find help", 0, "I find the answer myself.", (
                P("Help centre", "web", "Customer care", "Sam Okafor", 0.1,
                  ("the help article answered it",), ("the help centre is out of date",)),
                P("Chatbot", "chat", "Customer care", "Mia Laine", -0.3,
                  ("the bot got me to a person fast",), ("the bot went round in circles",),
                  interaction="digital"),
                P("Order status", "web", "Customer care", "Mia Laine", 0.2,
                  ("status page was clear",), ("status page said delivered when it was not",)),
                P("FAQ in the app", "mobile_app", "Customer care", "Mia Laine", 0.1,
                  ("the app FAQ had my answer",), ("the app FAQ links are broken",)),
            )),
            Stage("Talk to us", 1, "Someone sorts it out the first time.", (
                P("Live chat", "chat", "Customer care", "Mia Laine", 0.2,
                  ("the agent was kind and quick",), ("waited forty minutes in the chat queue",),
                  moment_of_truth=True, target=("ces", 5.0), survey_metric="ces"),
                P("Phone support", "phone", "Customer care", "Sam Okafor", 0.1,
                  ("sorted on one call",), ("was transferred three times",)),
                P("E-mail support", "email", "Customer care", "", -0.1,
                  ("clear answer by e-mail",), ("no reply to my e-mail for a week",)),
                P("Business account desk", "phone", "E-commerce", "Lena Ruiz", 0.3,
                  ("the account manager knows us",), ("invoices for the office are always wrong",)),
            )),
            Stage("After", 1, "It stays sorted.", (
                P("Follow-up e-mail", "email", "Customer care", "Sam Okafor", 0.2,
                  ("nice follow-up after the call",), ("the follow-up survey came twice",)),
                P("Complaint handling", "email", "Customer care", "Sam Okafor", -0.2,
                  ("my complaint was taken seriously",), ("nobody owned my complaint",),
                  moment_of_truth=True, target=("csat", 75)),
                P("Goodwill credit", "email", "Payments", "Ana Silva", 0.4,
                  ("the credit was a nice touch",), ("the promised credit never appeared",)),
                P("Win-back offer", "email", "Marketing", "Jonas Weber", 0.0,
                  ("the comeback offer was generous",), ("the offer came a day after I left",)),
            )),
        ),
    ),
)  # fmt: skip

# The touchpoint whose experience falls apart in the last month, so an incident is open.
DEGRADING = "Courier delivers"
# The journey whose customers' activity events the demo makes (docs/observed.md): its map
# shows no support call, yet customers whose tracking page stops updating call (an
# undocumented touchpoint), and no one books an exchange (a touchpoint no one reaches).
OBSERVED = "Delivery and returns"
UNDOCUMENTED = "support_call"
SEGMENTS = {"consumer": 0.75, "small_business": 0.2, "enterprise": 0.05}
REVENUE = {
    "consumer": (180, 900),
    "small_business": (2_000, 12_000),
    "enterprise": (20_000, 90_000),
}


@dataclass(frozen=True)
class Action:
    """A change to a journey's experience, as journey's actions hold it: its touchpoints and
    the opportunity it answers (by name), who delivers it, and how far it has come. A shipped
    one reached customers `shipped_days_ago`; from that day its touchpoints' CES answers rise
    by `ces_rise` on average (the planted effect metrics should measure), from `ces_push`
    added before an answer is rounded to the 1-7 scale: an answer of 7 cannot rise, so the
    push is larger than the rise (demo/tests/test_generate.py holds the rise)."""

    title: str
    journey: str
    touchpoints: tuple[str, ...]
    team: str
    owner: str
    description: str
    state: str  # planned, in_progress or shipped
    opportunity: str = ""
    shipped_days_ago: int = 0
    due_in_days: int = 0
    ces_rise: float = 0.0
    ces_push: float = 0.0


# The planted effects of shipped actions: the checkout redesign made paying easier (CES up 0.6
# on 1-7 from its ship day, nothing else changed); the packaging change made no difference
# customers could feel. It shipped 70 days ago so that its after window (days 7 to 34 after the
# ship day) ends before the courier's bad last month: the courier is among the untouched
# touchpoints metrics compares with (shipped 45 days ago, the packaging was credited with its
# fall: NPS +16, CSAT +10 points, both "significant"). One action planned and one in progress
# fill the rest of the board.
ACTIONS = (
    Action("Checkout redesign", "Buying online", ("Checkout",), "Payments", "Ana Silva",
           "Three steps, the address asked once, and paying as a guest.", "shipped",
           opportunity="Guest checkout", shipped_days_ago=60, ces_rise=0.6, ces_push=0.7),
    Action("Packaging change", "Delivery and returns", ("Unboxing",), "Marketing",
           "Jonas Weber", "Paper fill instead of plastic, in the same box.", "shipped",
           opportunity="Less plastic in the box", shipped_days_ago=70),
    Action("Photo on delivery", "Delivery and returns", ("Courier delivers",), "Logistics",
           "Priya Shah", "Couriers photograph every parcel they leave, and ask for the safe "
           "place before they set out.", "in_progress",
           opportunity="Photo on delivery, and the safe place asked first", due_in_days=30),
    Action("Chatbot hands over sooner", "Getting support", ("Chatbot",), "Customer care",
           "Mia Laine", "After two answers that did not help, the bot offers a person.",
           "planned", due_in_days=90),
)  # fmt: skip
