"""What kind of value a question asks for, and which kinds of value a memory states.

"Where does she live" asks for an address, "how long is the lease" for a span of time, "when is it due" for a date,
"what does it cost" for an amount of money, "how old is he" for an age, "how far" for a distance, "how does he pay"
for a way of paying, "who picks him up" or "her sibling" for a person (named by a relation or a role: "her sister",
"the nanny"), "where is the party" for a place (an address, or a name after "at", "in" or "near": "at Linden
Hall"), "what kind of dog" for a breed ("my Frenchie"), "what does she drive" for a make or model ("a 2019 Civic"),
"where does he work" for an employer ("I commute to Fairview"), "reason for the trip" for an occasion ("a
conference"), "how often" for a frequency ("every other week"), "which insurance" for an insurer ("Crestline
Health"), "what does she do for a living" for an occupation ("an ICU nurse"), "what shade" for a colour ("plain
white"), "callback number" for a phone number, "her email address" for an email address, "what kind of business
does he run" for a business ("Halloran Landscaping"). The answer rarely shares a word with such a question ("48
Holloway Road", "a 12-month renewal"), and a static model's vector of "where does he live" is about as close to
every memory of the caller; knowing the kind picks the memory that states one. Pure functions over
``shared.memory.terms.words`` and ``shared.memory.numbers.digit_words``; the ranking weighs the match
(``RankSettings.answer_kind_weight``), and for a phone number or an email address requires it (``required``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import lru_cache
from itertools import pairwise

from shared.memory.numbers import digit_words, spelt_numbers
from shared.memory.terms import words

ADDRESS, MONEY, DATE, SPAN, AGE, DISTANCE, PAYMENT = "address", "money", "date", "span", "age", "distance", "payment"
PERSON, PLACE, BREED, VEHICLE, WORKPLACE = "person", "place", "breed", "vehicle", "workplace"
OCCASION, FREQUENCY, INSURER, OCCUPATION, COLOUR = "occasion", "frequency", "insurer", "occupation", "colour"
PHONE, EMAIL, BUSINESS = "phone", "email", "business"
PERSON_WORDS = frozenset(
    """mother mom mum mama father dad papa parent parents grandmother grandma granny grandfather grandpa grandparents
    brother sister son daughter wife husband spouse partner fiance fiancee girlfriend boyfriend aunt uncle cousin
    niece nephew friend neighbor neighbour roommate nanny babysitter caregiver aide guardian
    adjuster technician contractor plumber electrician mechanic coach doctor dr dentist orthodontist surgeon physician
    pediatrician therapist nurse teacher tutor instructor trainer landlord manager supervisor coordinator planner
    officiant photographer inspector attorney lawyer realtor broker pharmacist vet veterinarian counselor
    specialist assistant driver sibling siblings cardiologist dermatologist allergist oncologist neurologist
    optometrist ophthalmologist chiropractor physio physiotherapist psychiatrist psychologist midwife""".split()
)
"""Words for a person by relation or role ("my husband Anand", "our nanny", "the adjuster")."""
_RELATIVE = frozenset("sibling siblings spouse relative relatives".split())  # "Beatrice's sibling": a person

_ANIMAL = frozenset("animal animals dog dogs pup puppy cat cats kitten pet pets".split())
_KIND = frozenset("kind type sort breed".split())
_BREED = frozenset(
    """breed mix mutt beagle retriever labrador lab labradoodle goldendoodle doodle poodle corgi bulldog frenchie
    terrier yorkie shepherd husky dachshund chihuahua pug boxer collie spaniel schnauzer rottweiler pitbull pittie
    greyhound whippet mastiff maltese pomeranian setter pointer hound sheepdog bernese doberman akita shiba samoyed
    malamute weimaraner vizsla havanese bichon cavalier shih tzu siamese persian ragdoll tabby bengal sphynx
    calico""".split()
)
_CAR = frozenset("car cars vehicle vehicles automobile truck suv".split())
_WHICH_CAR = frozenset("current kind type make model".split())
_DRIVE = frozenset("drive drives driving".split())
_VEHICLE = re.compile(
    r"\b(?:honda|toyota|ford|chevy|chevrolet|subaru|mazda\d?|nissan|hyundai|kia|tesla|bmw|audi|mercedes|volkswagen|vw|"
    r"jeep|dodge|gmc|lexus|acura|volvo|buick|cadillac|chrysler|mitsubishi|porsche|infiniti|lincoln|rivian|civic|"
    r"accord|cr-?v|rav4|camry|corolla|prius|highlander|tacoma|tundra|sienna|odyssey|pilot|f-?[1-3]50|ranger|explorer|"
    r"escape|mustang|bronco|silverado|equinox|tahoe|malibu|outback|forester|crosstrek|impreza|cx-?\d0?|altima|rogue|"
    r"sentra|elantra|tucson|sonata|sorento|telluride|wrangler|cherokee|jetta|minivan|sedan|hatchback|suv|"
    r"motorcycle|coupe|convertible)\b"
)  # searched in the lower-cased text: three times faster than IGNORECASE over so many names
_WORK = frozenset("work works worked working job employer employed".split())
# "Thursday works for me", "January eleventh would work for starting": a time or a plan that suits, not an employer
_SUITS = r"(?<!\bwould )(?<!\bwill )(?<!\bcould )(?<!\bshould )(?<!\bmight )(?<!\bthat )(?<!\bit )(?<!\bthis )"
_SUITS_WHOM = r"(?! (?:me|us|you|them|everyone|everybody|both|all)\b)(?! (?-i:[a-z]+ing)\b)"
_WORKPLACE = re.compile(
    rf"\b(?:employer|employed (?:at|by|with)|"
    rf"{_SUITS}(?:works? (?:at|for|with)|worked (?:at|for)|working (?:at|for)){_SUITS_WHOM}|"
    r"job (?:at|with)|commute to|i'm with (?-i:[A-Z])|(?:my|his|her|their) (?:work|job|office)\W?\s(?-i:[A-Z]))",
    re.IGNORECASE,
)
_WORKPLACE_HINTS = ("employ", "work", "job", "commute", "i'm", "office")  # one is in every _WORKPLACE match
_CELEBRATE = frozenset("occasion celebrate celebrating celebration".split())
_TRIP = frozenset("trip visit stay travel traveling travelling".split())
_OCCASION = frozenset(
    """birthday anniversary wedding conference convention graduation retirement funeral memorial reunion honeymoon
    engagement shower christening baptism mitzvah quinceanera bachelorette bachelor prom recital tournament
    interview gala fundraiser""".split()
)
_ASKS_FREQUENCY = frozenset("often regularly frequency frequently".split())
_FREQUENCY = re.compile(
    r"\b(?:weekly|biweekly|monthly|bimonthly|daily|nightly|yearly|annually|quarterly|fortnightly|every[\s-](?:other[\s-])?"
    r"(?:\w+[\s-])?(?:day|days|week|weeks|month|months|year|morning|evening|night|\w+day)|(?:once|twice|\w+ times) "
    r"(?:a|per|each) (?:day|week|month|year))\b"
)  # "every-other-week" with hyphens too; searched in the lower-cased text
_INSURANCE = frozenset("insurance insurer insured coverage covers covered carrier".split())
_INSURER = re.compile(
    r"\b(?:insurance|insured|insurer|carrier|coverage|plan)\W{0,2}\s(?:is\s|with\s|through\s)?(?-i:[A-Z])"
    r"|(?-i:[A-Z]\w+\s(?:PPO|HMO|EPO|HDHP|Health|Dental|Vision|Insurance|Mutual|Medicare))\b",
    re.IGNORECASE,
)
_INSURER_HINTS = tuple(
    "insur carrier coverage plan ppo hmo epo hdhp health dental vision mutual medicare".split()
)  # one is in every _INSURER match
_ASKS_OCCUPATION = frozenset("occupation occupations profession career".split())
_OCCUPATION = frozenset(
    """nurse teacher engineer accountant bookkeeper electrician plumber carpenter mechanic lawyer attorney paralegal
    doctor physician surgeon dentist hygienist pharmacist therapist paramedic firefighter caseworker librarian
    professor chef cook baker barista bartender waiter waitress cashier clerk driver trucker pilot architect designer
    developer programmer analyst consultant realtor contractor technician hairdresser stylist barber editor writer
    photographer artist musician farmer rancher welder machinist janitor custodian receptionist secretary scientist
    researcher veterinarian student retired retiree homemaker freelancer landscaper roofer painter tutor coach
    manager supervisor officer detective soldier sergeant director administrator executive instructor broker""".split()
)
_ASKS_COLOUR = frozenset("color colour colors colours colored coloured paint painted shade hue".split())
_COLOUR = frozenset(
    """white black silver gray grey red blue green yellow orange purple pink brown beige tan navy maroon burgundy gold
    golden teal ivory cream charcoal bronze copper turquoise lavender violet magenta crimson scarlet caramel champagne
    nude plum coral mint sage olive mauve blush""".split()
)
_ASKS_ADDRESS = frozenset("address live lives living reside resides residence".split())
_LIVE = frozenset("live lives living".split())  # an address only with "where": "where does she live"
_DWELLING = frozenset("property house home apartment condo flat place building moving move moved".split())
_ASKS_PLACE = frozenset("venue location".split())
_PLACES = frozenset("place places spot site".split())  # a place when asked "which" or "what" of
_SENT = frozenset("send sent sending mail mailed emailed deposit deposited forwarded".split())
"""Where something is sent goes to an email, an account or an address (asked with a dwelling word), not a place."""
_ASKS_MONEY = frozenset(
    """cost costs price priced owe owes owed fee fees total budget deposit refund refunded charge charged amount spend
    spent paid worth rent bill premium copay salary income balance quote quoted expensive pricey afford borrow
    borrowing borrowed compensation reimbursement reimbursed charging charges""".split()
)
_ASKS_DATE = frozenset("when date dates day deadline due".split())
_ASKS_SPAN = frozenset("duration length term".split())
_ASKS_AGE = frozenset("age aged".split())
_ASKS_DISTANCE = frozenset("distance mileage odometer".split())
_ASKS_PAYMENT = frozenset("payment".split())
_ASKS_BUSINESS = frozenset("business company firm shop".split())
_WHICH_ONE = frozenset("what which name called".split())
_NOT_WHICH_ONE = frozenset("who whose when where how".split())  # a person, a time, a place, an amount
_BUSINESS = re.compile(
    r"\b(?!The\b)[A-Z][\w'&-]*(?:\s(?:&\s)?[A-Z][\w'&-]*)*\s(?:LLC|Inc|Co|Company|Corp|Consulting|Landscaping|Bakery|Cafe|"
    r"Plumbing|Logistics|Cabinetry|Salon|Studio|Group|Partners|Associates|Services|Solutions|Construction|Electric|"
    r"Dental|Clinic|Pharmacy|Restaurant|Kitchen|Farms?|Motors|Realty|Roofing|Painting|Cleaning|Catering|Design|"
    r"Builders|Law|Legal|Accounting|Insurance|Auto|Body|Repair|Works|Supply|Market|Foods|Florist|Floral|Events|"
    r"Media|Labs?|Health|Fitness|Gym|Academy|School|Hotel|Inn|Properties|Management|Transport|Trucking|Freight)\b"
)
"""A business by its name: capitalised words ending in a word for a trade or a company ("Halloran Landscaping",
"Vantage Ridge Consulting", "Ashby Auto Body", "Birch & Sons LLC"); common ones, so a rarer name ranks as before."""
_ASKS_PHONE = frozenset("phone cell mobile contact call text callback telephone".split())
_PHONE_LINE = frozenset("phone cell mobile telephone callback".split())  # with "number": a phone number, nothing else
_TLD = r"(?:com|net|org|edu|gov|io|co|us|uk|ca|example)\b"
_EMAIL = re.compile(rf"[\w.+-]+@[\w-]+\.\w|\bat\s(?:[a-z]+\s){{1,4}}?dot\s{_TLD}")
"""An address: "ap@example.com", or as a transcript writes it: "h w park at uni dot example" (lower-cased text)."""
_MAIL_DOMAIN = re.compile(rf"\b[a-z0-9-]+(?:\.|\sdot\s){_TLD}")
"""A domain, which answers for an email address where the text speaks of mail ("the business email moved to
lindahlcabinetry.com", "the real one, lindahlcabinetry dot com")."""

_STREET = frozenset(
    """street st road rd avenue ave lane ln drive dr court ct way boulevard blvd place pl terrace circle parkway
    highway hwy trail row crescent close square apt apartment unit suite hollow hill hills ridge bend crest plaza
    loop glen grove creek crossing heights knoll meadow meadows orchard commons mews""".split()
)
_MONEY = frozenset("dollars dollar bucks euros euro pounds cents grand".split())
_SPAN = frozenset("minute minutes hour hours day days week weeks month months year years".split())
_DISTANCE = frozenset("miles mile mi km kilometers kilometres".split())
_PAYMENT = frozenset("visa mastercard amex autopay paypal venmo zelle cheque".split())
_PAID_BY = frozenset(
    {("by", "check"), ("a", "check"), ("by", "card"), ("in", "cash"), ("direct", "deposit"), ("money", "order")}
)  # "I'll pay the rest with a check"; a lone "check" is as often "a quick check"
_SETTLES = frozenset(
    "pay pays paid paying reimburse reimbursed refund refunded settle settles settling settled".split()
)
"""With "how" (not "how much"), these ask for a way of paying ("how is she settling the balance": by check)."""
_STREET_NAME = re.compile(
    r"\b[A-Z][a-z]+ (?:Street|Road|Avenue|Lane|Drive|Court|Way|Boulevard|Place|Terrace|Circle|Parkway|Trail|Row|"
    r"Crescent|Close|Square|Hollow|Hills?|Ridge|Bend|Crest|Plaza|Loop|Glen|Grove|Creek|Crossing|Heights|Knoll|"
    r"Meadows?|Orchard|Commons|Mews|View|Point|Park)\b"
)
CALENDAR = frozenset(
    """january february march april june july august september october november december jan feb mar apr jun jul
    aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays
    thursdays fridays saturdays sundays today tomorrow tonight yesterday weekend fourth fifth sixth seventh eighth
    ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth
    twentieth thirtieth""".split()
)
_CLOCK_OR_DAY = re.compile(r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}(?:st|nd|rd|th)\b", re.IGNORECASE)
# as platforms' extraction writes them: "2026-01-29", "2026-01-29T14:30:00-05:00", "1/29/2026", "14:30"; never
# "3/4 size violin", "pain 7/10" or "50/50"
_MACHINE_DATE = re.compile(r"\b\d{4}-\d\d-\d\d(?:\b|T)|\b\d{1,2}/\d{1,2}/(?:\d{4}|\d\d)\b|\b\d{1,2}:\d\d\b")
_AT_A_PLACE = re.compile(r"\b(?:at|in|near) (?:the )?([A-Z][a-z]+)")
_MAY = re.compile(r"\bMay\b")  # the month, not "she may call back"
_NOT_A_PLACE = CALENDAR | {"may"}  # "in May", "at Monday's visit"


def asked(question: str) -> frozenset[str]:
    """The kinds of value a question asks for; none for most questions."""
    said = words(question)
    pairs = frozenset(pairwise(said))
    found = set(said)
    kinds = set()
    living = found - {"living"} if _follows(pairs, "a", "living") else found  # "for a living" asks for a job
    email = _asks_email(pairs)
    lives = living & _ASKS_ADDRESS
    if "where" not in found:  # "animals living in the home", "live music": no address asked
        lives -= _LIVE
    if (lives or ("where" in found and found & _DWELLING)) and "who" not in found and not email:
        kinds.add(ADDRESS)  # "who else will live there" asks for a person
    settling = "how" in found and "much" not in found and bool(found & _SETTLES)  # "how is she settling the bill"
    if (found & _ASKS_MONEY) - (_SETTLES if settling else frozenset()) or _follows(pairs, "how", "much"):
        kinds.add(MONEY)
    if "who" in found or found & _RELATIVE or _follows(pairs, "significant", "other"):
        kinds.add(PERSON)
    if (
        ("where" in found and not found & _SENT) or found & _ASKS_PLACE or _asks_which(pairs, _PLACES)
    ) and ADDRESS not in kinds:
        kinds.add(PLACE)  # "where is it", "the venue", "which place is hosting them"; not "where are bills sent"
    if found & _ASKS_DATE or _asks_which(pairs, {"days"}) or (said[-1:] == ["days"] and "many" not in found):
        kinds.add(DATE)  # "which days can he come in", "care days": "Saturdays"; not "how many days"
    if found & _ASKS_SPAN or _follows(pairs, "how", "long"):
        kinds.add(SPAN)
    if found & _ASKS_AGE or _follows(pairs, "how", "old"):
        kinds.add(AGE)
    if found & _ASKS_DISTANCE or _follows(pairs, "how", "far"):
        kinds.add(DISTANCE)
    if not found & {"who", "where", "when", "how", "why"} and (
        _asks_which(pairs, _CAR) or (found & _CAR and found & _WHICH_CAR) or (found & _DRIVE and "what" in found)
    ):
        kinds.add(VEHICLE)  # "what car does she drive", "current car", "what does he drive"; not "which garage"
    if ("employer" in found or ("where" in found and found & _WORK)) and not _follows(pairs, "work", "out"):
        kinds.add(WORKPLACE)  # "where does he work", "her employer"
    if not found & {"who", "where", "when"} and (
        found & _CELEBRATE or (found & {"reason", "purpose"} and found & _TRIP)
    ):
        kinds.add(OCCASION)  # "what are they celebrating", "reason for the trip": "a conference", "our anniversary"
    if found & _INSURANCE and found & {"which", "who", "what", "whose"}:
        kinds.add(INSURER)  # "which health insurance does she have", "who covers his medical bills"
    if (
        found & _ASKS_OCCUPATION
        or ("do" in found and ("living" in found or _follows(pairs, "for", "work")))
        or any(_follows(pairs, who, "job") for who in ("his", "her", "their", "s"))
        or (any(_follows(pairs, who, "trade") for who in ("his", "her", "their", "s")) and "in" not in found)
    ):
        kinds.add(OCCUPATION)  # "what does she do for a living / for work", "his trade": "an ICU nurse"
    if found & _ASKS_FREQUENCY:
        kinds.add(FREQUENCY)  # "how often does she come": "every other week", "monthly"
    if found & _ASKS_COLOUR:
        kinds.add(COLOUR)  # "what shade did he choose", "what paint does she want": "Oxford White"
    if "breed" in found or (found & _KIND and found & _ANIMAL):
        kinds.add(BREED)  # "what breed is Mochi", "what kind of dog"
    if (
        found & _ASKS_PAYMENT
        or settling
        or any(_follows(pairs, a, b) for a in ("how", "he", "she", "they") for b in ("pay", "pays", "paid", "paying"))
    ):
        kinds.add(PAYMENT)  # "how does he want to be reimbursed": "a check, not a credit"
    if "reach" in found or "callback" in found or ("number" in found and found & _ASKS_PHONE):
        kinds.add(PHONE)  # "how to reach her", "callback number", "her cell number"; not "what phone does he use"
    if email:
        kinds.add(EMAIL)
    owned = any(_follows(pairs, whose, noun) for whose in ("his", "her", "their") for noun in _ASKS_BUSINESS)
    if found & _ASKS_BUSINESS and (found & _WHICH_ONE or owned) and not found & _NOT_WHICH_ONE:
        kinds.add(BUSINESS)  # "what kind of business", "name of her company", "her business"; not "whose shop"
    return frozenset(kinds)


def required(question: str) -> frozenset[str]:
    """The kinds of value without which a memory is no answer: a phone number asked for ("Pieter's phone number",
    "callback number") or an email address. A memory that names Pieter but gives no number would tell the agent
    nothing it asked and invite a guess; "how to reach her" may be answered by an email or a time of day, so it
    only weighs the kind (``asked``)."""
    said = words(question)
    found = set(said)
    kinds = set()
    if "number" in found and found & _PHONE_LINE:  # not "best callback time"
        kinds.add(PHONE)
    if _asks_email(frozenset(pairwise(said))):
        kinds.add(EMAIL)
    return frozenset(kinds)


@lru_cache(maxsize=16_384)
def stated(text: str) -> frozenset[str]:
    """The kinds of value a memory states: a number before a street word or a named street ("Maple Court"); a number
    before a unit of money, time or distance, or "years old", or after a word for money ("rent of 1525", "copay:
    40") or a card ("card ending 4471"); a month, a weekday, a clock time or a day of the month; a way of paying
    ("Visa", "autopay"); a person by relation or role ("my husband Anand", "our nanny", "adjuster Imani Okafor",
    "Dr. Okoye"); a place: an address or a name after "at", "in" or "near" ("on vacation in Maine"); a breed of dog
    or cat ("beagle", "breed: terrier mix"): common breeds, one word each, so "golden retriever" by "retriever"; a
    car's make, model or body ("Honda", "CR-V", "minivan"): common ones, so a rarer car ranks as before; an employer
    ("works at", "employed by", "commute to", "I'm with Hartwell County"); an occasion ("anniversary", "conference",
    "my dad turns 70"); a frequency ("monthly", "every other week", "twice a month"); an insurer ("insured with
    Crestline", "Blue Horizon PPO"); an occupation ("nurse", "electrician", "works as"); a colour ("Autumn Green").
    Cached: a caller's memories are searched again and again."""
    said = digit_words(text)  # "$25" reads "25 dollars", "twelve years" "12 years"
    kinds = set()
    for index, word in enumerate(said):
        if not word.isdigit():
            continue
        after, before = said[index + 1 : index + 4], said[max(0, index - 2) : index]
        if _STREET.intersection(after):
            kinds.add(ADDRESS)
        if (after[:1] and after[0] in _MONEY) or _ASKS_MONEY.intersection(before):  # "25 dollars", "total price: 96"
            kinds.add(MONEY)
        if after[:1] and after[0] in _SPAN:
            kinds.add(SPAN)
        if after[:1] and after[0] in _DISTANCE:
            kinds.add(DISTANCE)
        if {"card", "ending"}.intersection(before):  # "card ending 4471", "ending in 6610"
            kinds.add(PAYMENT)
        if after[:2] in (("years", "old"), ("year", "old")) or (index and said[index - 1] in _ASKS_AGE):
            kinds.add(AGE)
    if CALENDAR.intersection(said) or _CLOCK_OR_DAY.search(text) or _MAY.search(text) or _MACHINE_DATE.search(text):
        kinds.add(DATE)
    if _STREET_NAME.search(text):
        kinds.add(ADDRESS)
    if _PAYMENT.intersection(said) or _PAID_BY.intersection(pairwise(said)) or _names_a_check(said):
        kinds.add(PAYMENT)
    if ADDRESS in kinds or any(name.lower() not in _NOT_A_PLACE for name in _AT_A_PLACE.findall(text)):
        kinds.add(PLACE)
    if PERSON_WORDS.intersection(said):
        kinds.add(PERSON)
    if _BREED.intersection(said) or _BREED.intersection(w[:-1] for w in said if w.endswith("s")):
        kinds.add(BREED)  # "beagle", "two beagles"
    if _OCCUPATION.intersection(said) or ("works", "as") in pairwise(said):
        kinds.add(OCCUPATION)
    lowered = text.lower()  # the long patterns are searched only where a word they need is, or without IGNORECASE
    if any(hint in lowered for hint in _INSURER_HINTS) and _INSURER.search(text):
        kinds.add(INSURER)
    if _FREQUENCY.search(lowered):
        kinds.add(FREQUENCY)
    if _OCCASION.intersection(said) or any(w in ("turns", "turning") and n.isdigit() for w, n in pairwise(said)):
        kinds.add(OCCASION)  # "our anniversary", "my dad turns 70"
    if _COLOUR.intersection(said):
        kinds.add(COLOUR)
    if _VEHICLE.search(lowered):
        kinds.add(VEHICLE)
    if any(hint in lowered for hint in _WORKPLACE_HINTS) and _WORKPLACE.search(text):
        kinds.add(WORKPLACE)
    if _phone_number(said):
        kinds.add(PHONE)
    if _BUSINESS.search(text):
        kinds.add(BUSINESS)
    address = ("@" in text or " dot " in lowered) and _EMAIL.search(lowered)
    if address or ("mail" in lowered and _MAIL_DOMAIN.search(lowered)):
        kinds.add(EMAIL)
    return frozenset(kinds)


def _phone_number(said: Sequence[str]) -> bool:
    """A phone number written ("555-0129", "(555) 555-0123") or spoken digit by digit ("five five five, oh one two
    three"): three digits then four, or seven digits in a row ("oh" is a zero)."""
    if any(len(a) == 3 and a.isdigit() and len(b) == 4 and b.isdigit() for a, b in pairwise(said)):
        return True
    return any(len(number) >= 7 for number in spelt_numbers(said))


def _names_a_check(said: Sequence[str]) -> bool:
    """A field naming a method of paying whose value is a check ("final payment method: check")."""
    return "method" in said[:3] and "check" in said


def _asks_email(pairs: Collection[tuple[str, str]]) -> bool:
    """ "her email address"; not "invoice email" (where invoices are emailed: "to my accountant")."""
    return _follows(pairs, "email", "address")


def _asks_which(pairs: Collection[tuple[str, str]], nouns: Collection[str]) -> bool:
    """ "what car", "which place": the noun names the kind of value asked for."""
    return any(("what", noun) in pairs or ("which", noun) in pairs for noun in nouns)


def _follows(pairs: Collection[tuple[str, str]], first: str, second: str) -> bool:
    """Whether ``second`` comes right after ``first`` (``pairs``: the text's words two by two)."""
    return (first, second) in pairs
