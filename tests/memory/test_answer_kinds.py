from pathlib import Path

import pytest

from shared.memory.answer_kinds import (
    ADDRESS,
    AGE,
    BREED,
    BUSINESS,
    COLOUR,
    DATE,
    DISTANCE,
    EMAIL,
    FREQUENCY,
    INSURER,
    MONEY,
    OCCASION,
    OCCUPATION,
    PAYMENT,
    PERSON,
    PHONE,
    PLACE,
    SPAN,
    VEHICLE,
    WORKPLACE,
    asked,
    required,
    stated,
)


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("where does she live", {ADDRESS}),
        ("new home address", {ADDRESS}),
        ("how much does she owe altogether", {MONEY}),
        ("out-of-pocket cost per appointment", {MONEY}),
        ("how expensive was the spare part", {MONEY}),
        ("compensation she was given", {MONEY}),
        ("when must everything be submitted", {DATE}),
        ("move-out date", {DATE}),
        ("how long is the agreement", {SPAN}),
        ("loan term", {SPAN}),
        ("how old is the kid", {AGE}),
        ("Pepper's age", {AGE}),
        ("how far has the car been driven", {DISTANCE}),
        ("how does he pay", {PAYMENT}),
        ("payment method on file", {PAYMENT}),
        ("where does he work", {PLACE, WORKPLACE}),  # a place or an employer ("at Fairview Medical"), not an address
        ("her employer", {WORKPLACE}),
        ("where does he work out", {PLACE}),  # a gym, not a job
        ("where did she go on holiday", {PLACE}),
        ("event location", {PLACE}),
        ("who else will live there", {PERSON}),  # a person, not an address
        ("who can collect the boy", {PERSON}),
        ("where is the property he's buying", {ADDRESS}),  # "where" and a home
        ("where is she moving", {ADDRESS}),
        ("spouse's name", {PERSON}),  # a relative is a person
        ("Beatrice's sibling", {PERSON}),
        ("Neil's significant other", {PERSON}),
        ("the other significant change", set()),
        ("what shade did he choose", {COLOUR}),
        ("what paint does she want", {COLOUR}),
        ("what breed is Mochi", {BREED}),
        ("what kind of pup is it", {BREED}),  # a kind of animal: its breed
        ("what kind of business is it", {BUSINESS}),  # "a bakery", "Halloran Landscaping"
        ("what car does she drive", {VEHICLE}),
        ("what does he drive", {VEHICLE}),  # a make or model
        ("current car", {VEHICLE}),
        ("which garage has the vehicle", set()),  # a garage, not the vehicle
        ("what part of the car was damaged", set()),
        ("what are they celebrating", {OCCASION}),
        ("reason for the trip", {OCCASION}),  # "a conference", "our anniversary"
        ("why was the visit rescheduled", set()),
        ("how regularly do they come", {FREQUENCY}),
        ("which days can he come in", {DATE}),  # "Saturdays"
        ("care days", {DATE}),
        ("how many days off", set()),
        ("which health insurance does she have", {INSURER}),
        ("does insurance pay for it", set()),
        ("what does Yusuf do for a living?", {OCCUPATION}),  # a job, not where he lives
        ("what does she do for work", {OCCUPATION}),
        ("which place is hosting them", {PLACE}),
        ("where do bills get sent", set()),
        ("how does he want to be reimbursed", {PAYMENT}),  # a check or a credit, not an amount
        ("how is she settling the balance", {MONEY, PAYMENT}),
        ("how much was refunded", {MONEY}),  # an email or an account as often as a place
        ("where should we mail it, her house?", {ADDRESS}),
        ("what site does she report to", {PLACE}),
        ("place of the ceremony", set()),
        ("what work does the car need", set()),
        ("what are we charging him each time", {MONEY}),
        ("his trade", {OCCUPATION}),
        ("trade-in value", set()),
        ("how to reach Rafael by phone", {PHONE}),  # a number to call
        ("callback number", {PHONE}),
        ("her cell number", {PHONE}),
        ("what phone does he use", set()),  # the device, not its number
        ("phone model", set()),
        ("her email address", {EMAIL}),  # not a street address
        ("what kind of business does he run", {BUSINESS}),
        ("name of her company", {BUSINESS}),
        ("her business", {BUSINESS}),
        ("which firm does she work for", {BUSINESS}),
        ("whose shop is it", set()),  # a person
        ("business line of credit", set()),
        ("invoice email", set()),  # where invoices are emailed: "to my accountant"
    ],
)
def test_what_kind_of_value_a_question_asks_for(question: str, kinds: set[str]) -> None:
    assert asked(question) == kinds


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Gareth reported a leaking water heater at 9 Holloway Road.", {ADDRESS, PLACE}),
        ("We're going to eleven eighty Sycamore Ridge, unit four.", {ADDRESS, PLACE}),
        ("The shop quoted $480 for pads and rotors.", {MONEY}),
        ("total price: 96", {MONEY}),
        ("Forty dollars, that's the copay.", {MONEY}),
        ("He signed a 12-month lease renewal.", {SPAN}),
        ("The old tank's been in there twelve years.", {SPAN}),
        ("Pepper is six years old.", {AGE, SPAN}),
        ("The deadline is January 15.", {DATE}),
        ("Can we do Thursday at 2 pm?", {DATE}),
        ("Drafted on the 15th of each month.", {DATE}),
        ("Tenant in unit 5C at Maple Terrace.", {ADDRESS, PLACE}),
        ("Declan lives at 19 Cedar Hollow with his family.", {ADDRESS, PLACE}),
        ("The sellers accepted his offer on Juniper Ridge.", {ADDRESS, PLACE}),
        ("Rates rose by a 2 point margin.", set()),  # "point" is a street word only in a street's name
        ("Odometer reads 148,000 miles.", {DISTANCE}),
        ("Use the card ending in six six one zero.", {PAYMENT}),
        ("She pays with her Visa.", {PAYMENT}),
        ("I'll pay the rest with a check, is that alright?", {PAYMENT}),
        ("final payment method: check", {PAYMENT}),
        ("The tech did a quick check of the wiring.", set()),
        ("The move is on May 22.", {DATE}),
        ("She may call back later.", set()),  # a verb, not the month
        ("A party for 8 people, two of them vegetarian.", set()),  # a count, not money
        ("My dog Biscuit has surgery soon.", set()),
        ("For pickup, my husband Anand, and our nanny Grace.", {PERSON}),  # a person by relation or role
        ("My daughter made me call.", {PERSON}),
        ("adjuster name: Imani Okafor", {PERSON}),  # a person by their role in the caller's affairs
        ("Dr. Okoye sent over a referral.", {PERSON}),
        ("Penelope paused deliveries while on vacation in Maine.", {PLACE}),  # a place: "at", "in" or "near" a name
        ("It's at Greenway Park, pavilion three.", {ADDRESS, PLACE}),
        ("The move is in May.", {DATE}),  # a month is no place
        ("Hi, I'd like to sign up my Frenchie, Bruno, he's two.", {BREED}),
        ("breed: terrier mix (rescue)", {BREED}),
        ("We have two beagles at home.", {BREED}),
        ("species: dog", set()),  # the animal, not its breed
        ("He drives a Tacoma, the old one.", {VEHICLE}),
        ("vehicle: 2021 Kia Sorento", {VEHICLE}),
        ("It's my CR-V, the gray one.", {VEHICLE, COLOUR}),
        ("color: Autumn Green", {COLOUR}),
        ("White, plain white, I'm putting the logo on the doors.", {COLOUR}),
        ("The car makes a noise when I brake.", set()),  # a car, but not which
        ("I commute to Brookline every day.", {WORKPLACE, FREQUENCY}),  # where someone works, and how often
        ("I'm with Hartwell County, I'm a caseworker.", {WORKPLACE, OCCUPATION}),
        ("Beatrix, a high school band director, asked about earplugs.", {OCCUPATION}),
        ("Her former employer, Kestrel Logistics, matches gifts.", {WORKPLACE, BUSINESS}),
        ("I need the car for work.", set()),
        ("Can the tech come to my work? Alder Freight, out by the port.", {WORKPLACE, BUSINESS}),
        ("I'm with you on that.", set()),  # agreeing, not an employer
        ("January eleventh would work for starting.", {DATE}),  # a date that suits, not an employer
        ("Thursday works for me.", {DATE}),
        ("That worked for us last time.", set()),
        ("She works for Hartwell County.", {WORKPLACE}),
        ("I've been working for Alder Freight since May.", {WORKPLACE, BUSINESS, DATE}),
        ("Once a month is plenty for us.", {FREQUENCY}),
        ("They mow every other week now.", {FREQUENCY}),
        ("She moved to every-other-week sessions.", {FREQUENCY}),
        ("Insured with Larkfield Health since June.", {INSURER, DATE, BUSINESS}),
        ("She's on the Brightway PPO through her job.", {INSURER}),
        ("The insurance is fine, thanks.", set()),
        ("He's an electrician, mostly commercial jobs.", {OCCUPATION, PERSON}),  # a role names a person too
        ("He drives a SUBARU OUTBACK now.", {VEHICLE}),  # the long patterns read the lower-cased text: any case
        ("We come in EVERY OTHER WEEK.", {FREQUENCY}),
        ("I'M WITH Alder Freight, dispatch.", {WORKPLACE, BUSINESS}),
        ("WORKS AT Kestrel Logistics", {WORKPLACE, BUSINESS}),
        ("My carrier is Larkfield Mutual.", {INSURER}),
        ("It's our anniversary, so something nice.", {OCCASION}),
        ("So my dad turns seventy, we want the back room.", {OCCASION, PERSON}),
        ("appointment date: 2026-01-29", {DATE}),  # as platforms' extraction writes dates and times
        ("new appointment time: 2026-01-29T14:30:00-05:00", {DATE}),
        ("move out: 1/29/2026", {DATE}),
        ("pickup time: 14:30", {DATE}),
        ("violin size: 3/4", set()),  # a fraction, a score, a split: no date
        ("pain level: 7/10", set()),
        ("custody arrangement: 50/50", set()),
        ("call me at 555-0129", {PHONE}),
        ("My cell is (555) 555-0123.", {PHONE}),
        ("His number is five five five, oh one seven seven.", {PHONE}),  # spoken digit by digit
        ("Booked 3 rooms for 1200 dollars.", {MONEY}),
        ("billing email: ap@northgate.example", {EMAIL}),
        ("Can you email it? h w park one nine at uni dot example.", {EMAIL}),  # as a transcript writes it
        ("I can't get into email at all.", set()),
        ("They moved the business email to his own domain, lindahlcabinetry.com.", {EMAIL}),  # where mail goes
        ("So, the real one for email, lindahlcabinetry dot com.", {EMAIL}),
        ("Check the website, lindahlcabinetry.com.", set()),  # a domain, but no mail spoken of
        ("Curtis Halloran of Halloran Landscaping brought in truck 2.", {BUSINESS}),
        ("company: Birch & Sons LLC", {BUSINESS}),
        ("The Landscaping crew came.", set()),  # a trade, not a business's name
        ("I run a small shop downtown.", set()),
    ],
)
def test_what_kinds_of_value_a_memory_states(text: str, kinds: set[str]) -> None:
    assert stated(text) == kinds


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Pieter's phone number", {PHONE}),
        ("callback number", {PHONE}),
        ("his mother's cell number", {PHONE}),
        ("Wanda's email address", {EMAIL}),
        ("how to reach her", set()),  # an email or a time of day answers too
        ("best time to reach him by phone", set()),
        ("best callback time", set()),  # a time of day
        ("phone model", set()),
        ("when is the appointment", set()),  # "next week" or "after the scan" answers without a date
    ],
)
def test_the_kinds_without_which_a_memory_is_no_answer(question: str, kinds: set[str]) -> None:
    assert required(question) == kinds


def test_where_she_lives_is_her_address_not_her_life_insurance(tmp_path: Path) -> None:
    """The README's example on a caller of few memories: a static model puts "where does she live" nearer "term
    life insurance" (0.75) than "address: 12 Elm Street" (0.56); the address is the kind of value asked for."""
    from datetime import UTC, datetime, timedelta

    from shared.config.loader import load_agent_type
    from shared.memory.manager import MemoryManager
    from shared.memory.models import Memory
    from shared.memory.sqlite import SqliteMemoryStore

    now = datetime.now(UTC)
    caller = "+15555550141"
    store = SqliteMemoryStore(tmp_path / "memories.db")
    manager = MemoryManager(store, "generic_voice_agent", load_agent_type("generic_voice_agent").memory)

    def said(mid: str, text: str, days: int, **meta: str) -> Memory:
        return Memory(mid, caller, "generic_voice_agent", "factual", text, now - timedelta(days=days), None, None, meta)

    store.add(
        [
            said("s1", "Maya called about her home policy.", 60, source="summary"),
            said("n", "caller name: Maya Lind", 60, field="caller_name", value="Maya Lind"),
            said("a", "address: 12 Elm Street, Springfield", 60, field="address", value="12 Elm Street, Springfield"),
            said("t1", "I also have term life insurance with you.", 60, source="caller_turn"),
            said("s2", "Maya asked about adding cover for her cat.", 30, source="summary"),
            said("t2", "My cat Pixel is seven.", 30, source="caller_turn"),
        ]
    )
    found = manager.search(caller, "where does she live")
    assert found and found[0].text == "address: 12 Elm Street, Springfield"
    assert asked("animals living in the home") == frozenset() and asked("live music") == frozenset()
