"""Account, customer, member, policy, contract and loyalty numbers with their words in several
languages, user numbers and login handles (issue 8, ACCOUNT_NUMBER leaked more than with Presidio),
and the numbers that must stay: build ids, ports, versions, counts, amounts, dates written as digits,
ticket ids (a ticket names a piece of work, not a person), SKUs, hashes, Kubernetes names."""

from __future__ import annotations

import pytest

from scrubber.detection import Detector

FOUND = [
    ("frequent flyer number LH 9923 8812 77", "LH 9923 8812 77"),
    ("número de cuenta 2100 0418 4502 0005 1332", "2100 0418 4502 0005 1332"),
    ("conto corrente n. 000001234567", "000001234567"),
    ("WARN crm.sync failed customer_no=771029 reason=timeout", "771029"),
    ("I have two accounts, the business one is 9928374650 and the other ends in 4471", "9928374650"),
    ("Kontonummer 0532013000, BLZ 37040044 - bitte überweisen", "0532013000"),
    ("mera khata number 32165498701 hai", "32165498701"),
    ("mijn klantnummer is 30018827", "30018827"),
    # letter prefixes and suffixes, slashes and dots as separators
    ("customer ref# CR-2211-9034 wants a refund", "CR-2211-9034"),
    ("Kunden-Nr.: 10 22 993, bitte zurückrufen", "10 22 993"),
    ("policy no. 77-1120-44B expires next month", "77-1120-44B"),
    ("I'd like to update policy PL-77120-B with my new car", "PL-77120-B"),
    ("Mitgliedsnummer M-44-1928", "M-44-1928"),
    ("mi número de contrato es 2023-00-88123", "2023-00-88123"),
    ("numéro de client: 40 22 19 88", "40 22 19 88"),
    ("la cuenta 0049 1500 05 1234567892 sigue bloqueada", "0049 1500 05 1234567892"),
    # the word after the number
    ("88120034 is our account number", "88120034"),
    ("4471-0093-12 is my customer number", "4471-0093-12"),
    ("K-2291-0038 ist meine Kundennummer", "K-2291-0038"),
    # labels in JSON and logfmt
    ('{"member_id": "MB-0091-44"}', "MB-0091-44"),
    ('"subscriberNo":"SUB 4471 9921"', "SUB 4471 9921"),
    ('billing.charge_failed acct_ref="ZX-20931-77" reason=insufficient_funds', "ZX-20931-77"),
    # Hindi in Latin script
    ("meri khata sankhya 0011 2299 3847 hai", "0011 2299 3847"),
    # user numbers and handles
    ("uid: 991203 logged out", "991203"),
    ("I'm user 88123 on the forum", "88123"),
    ("mera user id 55128812 hai", "55128812"),
    ("my employee number is 004471", "004471"),
    ("il mio codice utente è mrossi_77", "mrossi_77"),
    ("my login is t.nguyen", "t.nguyen"),
    ("login: jdoe_88 locked after 5 failed attempts", "jdoe_88"),
    ("mein Benutzername ist mueller_k77", "mueller_k77"),
    ("user: @priya_k91 posted the review", "@priya_k91"),
    ("enduser.id=7712093", "7712093"),
    # claims and other words
    ("claim no. CLM-2291-88 for the flood damage", "CLM-2291-88"),
    ("RIB 30004 00550 00012345678 79", "30004 00550 00012345678 79"),
    ("policy (PL-77120-B) renewal", "PL-77120-B"),
    # a prefix that says whose id it is, every group of it
    ("please check ACC-00931-7781 before friday", "ACC-00931-7781"),
    ("CUST/2024/00918 was escalated", "CUST/2024/00918"),
    ("KD-4471-0093 hat zweimal bezahlt", "KD-4471-0093"),
]

STAY = [
    ("INFO accounts.sync: processed 12840 accounts in 41.7s (0 errors)", "12840"),
    ("build 20261130 for the account service passed", "20261130"),
    ("the free tier allows 3 accounts per workspace", "3"),
    ("account_id column, index 1700000000.123 rebuilt", "1700000000"),
    ("Our customer count went from 1200 to 1850 this year.", "1850"),
    ("epoch 1764547200 for the account audit", "1764547200"),
    # a machine noun between the word and the number, amounts, years, versions
    ("the grpc port for the customer service is 50051", "50051"),
    ("account tier limits: 100000 requests per month", "100000"),
    ("contract value 125000 over three years", "125000"),
    ("the policy engine evaluates 5000 rules per second", "5000"),
    ("account balance: 4471.20 EUR after the refund", "4471.20"),
    ("policy 2024 update: remote work twice a week", "2024"),
    ("client version 4.12.0 is deprecated", "4.12.0"),
    ("customer service is open, client timeout 30000", "30000"),
    ("8000 is the account service port", "8000"),
    # ticket ids, SKUs, builds, hashes, Kubernetes names, package versions
    ("ticket #44812 closed: the customer portal is back up", "44812"),
    ("JIRA-1234 is blocked by PAY-8812 for the account page", "JIRA-1234"),
    ("order 3 units of SKU-44812-BLK for the customer demo", "SKU-44812-BLK"),
    ("commit 4f9a2c1d8e merged: fix customer export", "4f9a2c1d8e"),
    ("k8s namespace acct-prod-eu, deployment acct-ledger-7f9c ready", "acct-ledger-7f9c"),
    ("pip install customer-sdk==2.3.1 and restart the worker", "2.3.1"),
    # user words with no user in them
    ("user 2 of 10 in the load test got a timeout", "2"),
    ("uid=1000(ubuntu) gid=1000(ubuntu)", "1000"),
    ("we onboarded 12000 users last month", "12000"),
    ("login: auth.service timed out", "auth.service"),
    ("user: gpt-4o-mini answered in 2s", "gpt-4o-mini"),
    ("login: successful for the service principal", "successful"),
    ("user_agent=okhttp/4.12.0", "4.12.0"),
    ("claim 2 of the patent covers the hinge", "2"),
    ("the rib of the chassis cracked at 2000 cycles", "2000"),
    ("policy/2024/rules.yaml was updated", "policy/2024/rules"),
    ("client-2024-11-30 backup done", "client-2024-11-30"),
    ("pod cust-7d9f8c6b5-x2kq9 restarted", "cust-7d9f8c6b5-x2kq9"),
]


@pytest.mark.parametrize("text,value", FOUND, ids=[t[:40] for t, _ in FOUND])
def test_account_numbers_are_found(ner_detector: Detector, text: str, value: str) -> None:
    [found] = ner_detector.detect([text], [False])
    start = text.index(value)
    assert any(f.start <= start and start + len(value) <= f.end for f in found), \
        f"{value!r} left in {text!r}: {[(f.entity_type, text[f.start:f.end]) for f in found]}"


@pytest.mark.parametrize("text,value", STAY, ids=[t[:40] for t, _ in STAY])
def test_account_look_alikes_stay(ner_detector: Detector, text: str, value: str) -> None:
    [found] = ner_detector.detect([text], [False])
    start = text.index(value)
    hit = [text[f.start:f.end] for f in found if f.start < start + len(value) and f.end > start]
    assert not hit, f"{value!r} in {text!r} taken for {hit}"
