"""Corpus `dev`, the tuning set: seeded, programmatic, Faker values in many locales in templates.

Tune detection on this one (`--show-leaks` prints what leaks and where); the
held-out corpus (`heldout/`) is for reporting only. Values: names, streets,
postcodes and cities from Faker in 16 locales (Japanese and Chinese names
romanized); phone numbers from libphonenumber's metadata for 17 countries
(valid numbers only) in national, international, E.164, dotted, `(0)`-trunk
and grouped forms; checksummed ids generated with their real checksums (Luhn,
IBAN mod-97, Verhoeff for Aadhaar, CPF's two digits, ISO 7064 for Chinese ids).
Negatives: look-alikes that must stay (cities in infrastructure names, version
strings, capitalised business phrases, product names) and real technical text
(stack traces, SQL, k8s events, log lines, code, and docstring prose of the
standard library installed on this machine).
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

import phonenumbers
from faker import Faker

from benchmarks.accuracy import ids
from benchmarks.accuracy.items import Item, Planted

SEED = 20261201
#: locale -> (phone country, language of the templates)
LOCALES = {
    "en_US": ("US", "en"), "en_GB": ("GB", "en"), "en_IN": ("IN", "en"), "en_NG": ("NG", "en"),
    "de_DE": ("DE", "de"), "fr_FR": ("FR", "fr"), "es_ES": ("ES", "es"), "es_MX": ("MX", "es"),
    "pt_BR": ("BR", "pt"), "it_IT": ("IT", "it"), "nl_NL": ("NL", "nl"), "pl_PL": ("PL", "en"),
    "tr_TR": ("TR", "en"), "vi_VN": ("VN", "en"), "ja_JP": ("JP", "en"), "zh_CN": ("CN", "en"),
}
EXTRA_PHONE_COUNTRIES = ("AE",)


class B:
    """Builds a text and its planted values piece by piece."""

    def __init__(self) -> None:
        self.text, self.planted = "", []

    def t(self, piece: str) -> "B":
        self.text += piece
        return self

    def v(self, value: str, category: str, country: str = "") -> "B":
        self.planted.append(Planted(value, category, country))
        self.text += value
        return self


class Values:
    """Value generators for one locale."""

    def __init__(self, locale: str, rng: random.Random):
        self.locale, self.rng = locale, rng
        self.country, self.lang = LOCALES[locale]
        self.fake = Faker(locale)
        self.fake.seed_instance(rng.randrange(1 << 30))
        self.en = Faker("en_US")
        self.en.seed_instance(rng.randrange(1 << 30))

    def first(self) -> str:
        if hasattr(self.fake, "first_romanized_name"):
            return self.fake.first_romanized_name()
        return _clean(self.fake.first_name())

    def last(self) -> str:
        if hasattr(self.fake, "last_romanized_name"):
            return self.fake.last_romanized_name()
        return _clean(self.fake.last_name())

    def street(self) -> str:
        fake = self.en if self.locale in ("ja_JP", "zh_CN", "vi_VN", "tr_TR") else self.fake
        value = _clean(fake.street_address())
        if self.locale == "en_US" and self.rng.random() < 0.3:
            value += " " + self.fake.secondary_address()
        return value

    def postcode(self) -> str:
        fake = self.en if self.locale in ("ja_JP", "zh_CN") else self.fake
        return fake.postcode()

    def city(self) -> str:
        fake = self.en if self.locale in ("ja_JP", "zh_CN", "vi_VN", "tr_TR") else self.fake
        return _clean(fake.city())

    def email(self, first: str = "", last: str = "") -> str:
        if first and self.rng.random() < 0.6:
            local = f"{_ascii(first)}{self.rng.choice('._')}{_ascii(last)}".lower() if last else _ascii(first).lower()
            return f"{local}{self.rng.randrange(100) if self.rng.random() < 0.3 else ''}@{self.fake.free_email_domain()}"
        return self.fake.email()

    def phone(self, country: str | None = None) -> tuple[str, str]:
        return phone(country or self.country, self.rng)


def _clean(value: str) -> str:
    return value.replace("\n", ", ").strip()


def _ascii(value: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKD", value) if ch.isascii() and ch.isalpha())


def phone(country: str, rng: random.Random) -> tuple[str, str]:
    """A valid number of `country` in one of its written forms; (text, country)."""
    kind = rng.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
    example = phonenumbers.example_number_for_type(country, kind) or phonenumbers.example_number(country)
    national = str(example.national_number)
    for _ in range(200):
        keep = max(2, len(national) - 6)
        digits = national[:keep] + "".join(rng.choice(string.digits) for _ in range(len(national) - keep))
        number = phonenumbers.parse("+" + str(example.country_code) + digits)
        if phonenumbers.is_valid_number(number):
            break
    else:
        number = example
    fmt = rng.random()
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    nat = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if country == "FR" and fmt < 0.5:
        return nat.replace(" ", "."), country
    if country in ("DE", "GB", "NL", "IT", "AE", "NG") and fmt < 0.25 and nat.startswith("0"):
        cc = str(number.country_code)
        return f"+{cc} (0){intl[len(cc) + 1:]}", country
    if fmt < 0.45:
        return intl, country
    if fmt < 0.7:
        return nat, country
    if fmt < 0.8:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), country
    nsn = str(number.national_number)
    size = rng.choice([2, 3])
    grouped = " ".join(nsn[i:i + size] for i in range(0, len(nsn), size))
    return f"+{number.country_code} {grouped}", country


# --- item templates ------------------------------------------------------------------------------

GREETING = {"en": "Hi, this is ", "de": "Hallo, hier ist ", "fr": "Bonjour, je suis ", "es": "Hola, soy ",
            "pt": "Olá, aqui é ", "it": "Ciao, sono ", "nl": "Hallo, met "}
CALL_ME = {"en": ". You can call me on ", "de": ". Sie erreichen mich unter ", "fr": ". Vous pouvez m'appeler au ",
           "es": ". Me puede llamar al ", "pt": ". Pode me ligar no ", "it": ". Potete chiamarmi al ",
           "nl": ". U kunt me bellen op "}
MOVE = {"en": " Please change my delivery address to ", "de": " Bitte ändern Sie meine Lieferadresse auf ",
        "fr": " Merci de changer mon adresse de livraison : ", "es": " Cambien mi dirección de envío a ",
        "pt": " Por favor, mudem meu endereço de entrega para ", "it": " Cambiate il mio indirizzo di consegna in ",
        "nl": " Wijzig mijn bezorgadres naar "}
MAIL = {"en": " or write to ", "de": " oder schreiben Sie an ", "fr": " ou écrivez à ", "es": " o escriba a ",
        "pt": " ou escreva para ", "it": " o scrivete a ", "nl": " of mail naar "}

LONE_FIRST = [
    ("", " is very kind, please thank her from all of us."),
    ("", ", can I speak to your boss about the refund?"),
    ("Can you ask ", " whether the parcel arrived?"),
    ("Tell ", " the meeting moved to Thursday."),
    ("", " said the order never arrived and wants a callback."),
    ("Ask ", " to send the signed contract."),
    ("Yesterday ", " complained about the delay twice."),
    ("Kannst du ", " fragen, ob das Paket angekommen ist?"),
    ("Pouvez-vous demander à ", " de rappeler le service client ?"),
    ("¿Puedes preguntarle a ", " si ya recibió el pedido?"),
    ("", " ne a rabbia perché il rimborso non è arrivato."),
    ("Pergunte à ", " se a fatura está correta."),
    ("", " ko kal tak refund mil jayega, please confirm."),
]
LONE_LAST = [
    ("Please forward the complaint to Mr ", "."),
    ("Ms ", " approved the refund this morning."),
    ("Dr. ", " will review the claim on Monday."),
    ("Escalated by ", " from the billing team."),
    ("Herr ", " hat die Rechnung noch nicht bezahlt."),
    ("Madame ", " souhaite annuler sa commande."),
    ("El señor ", " pidió la factura en papel."),
    ("The account owner, ", ", asked us to close it."),
]
SHOUTED = [("", " shouted at ", " during the call."), ("", " and ", " share the same delivery address."),
           ("Ticket from ", ", cc ", ": the invoice is wrong.")]


def full_prompt(v: Values, rng: random.Random) -> B:
    b, lang = B(), v.lang
    first, last = v.first(), v.last()
    b.t(GREETING[lang]).v(f"{first} {last}", "PERSON_FULL")
    number, country = v.phone()
    b.t(CALL_ME[lang]).v(number, "PHONE_NUMBER", country)
    if rng.random() < 0.3:
        b.t(rng.choice([" ext. ", " x", " ext "]) + str(rng.randrange(10, 999)))
    if rng.random() < 0.6:
        b.t(MAIL[lang]).v(v.email(first, last), "EMAIL_ADDRESS")
    b.t(".")
    if rng.random() < 0.7:
        b.t(MOVE[lang]).v(v.street(), "STREET_ADDRESS").t(", ").v(v.postcode(), "POSTCODE").t(" ")
        b.v(v.city(), "CITY").t(".")
    return b


def repeated(v: Values, rng: random.Random) -> B:
    first, last = v.first(), v.last()
    b = B().v(f"{first} {last}", "PERSON_FULL").t(rng.choice([" called about the late invoice. ",
                                                                " opened ticket 4821 about a double charge. "]))
    if rng.random() < 0.5:
        b.t("Later ").v(first, "PERSON_FIRST_ONLY").t(" asked for a callback before 5pm.")
    else:
        b.t("I told ").v(last, "PERSON_SURNAME_ONLY").t(" we would refund the fee.")
    return b


def lone_first(v: Values, rng: random.Random) -> B:
    before, after = rng.choice(LONE_FIRST)
    return B().t(before).v(v.first(), "PERSON_FIRST_ONLY").t(after)


def lone_last(v: Values, rng: random.Random) -> B:
    before, after = rng.choice(LONE_LAST)
    return B().t(before).v(v.last(), "PERSON_SURNAME_ONLY").t(after)


def two_people(v: Values, rng: random.Random) -> B:
    a, mid, end = rng.choice(SHOUTED)
    return B().t(a).v(v.first(), "PERSON_FIRST_ONLY").t(mid).v(v.first(), "PERSON_FIRST_ONLY").t(end)


def lowercase_list(v: Values, rng: random.Random) -> B:
    b = B().t(rng.choice(["invite list for friday: ", "attendees: ", "pls add to the group chat: ", "winners: "]))
    for i in range(rng.randint(2, 4)):
        if i:
            b.t(", ")
        name = f"{v.first()} {v.last()}".lower() if rng.random() < 0.6 else v.first().lower()
        b.v(name, "PERSON_LOWERCASE")
    return b.t(rng.choice(["", " - thanks!", ". ok?"]))


def allcaps_form(v: Values, rng: random.Random) -> B:
    first, last = v.first(), v.last()
    b = B().t("APPLICATION FORM\nNAME: ").v(f"{first} {last}".upper(), "PERSON_ALLCAPS")
    b.t("\nDATE OF BIRTH: ").v(dob(rng), "DATE_OF_BIRTH")
    number, country = v.phone()
    b.t("\nPHONE: ").v(number, "PHONE_NUMBER", country)
    if rng.random() < 0.5:
        b.t("\nCITY: ").v(v.city().upper(), "CITY")
    return b


def address_block(v: Values, rng: random.Random) -> B:
    first, last = v.first(), v.last()
    b = B().t(rng.choice(["Ship to:\n", "Billing address:\n", "Please send the replacement to\n", ""]))
    b.v(f"{first} {last}", "PERSON_FULL").t("\n")
    street, postcode, city = v.street(), v.postcode(), v.city()
    if v.country in ("US",):
        state = v.fake.state_abbr()
        b.v(street, "STREET_ADDRESS").t("\n").v(city, "CITY").t(f", {state} ").v(postcode, "POSTCODE")
    elif v.country in ("GB", "IN", "NG"):
        b.v(street, "STREET_ADDRESS").t("\n").v(city, "CITY").t("\n" if v.country == "GB" else " - ")
        b.v(postcode, "POSTCODE")
    else:
        b.v(street, "STREET_ADDRESS").t("\n").v(postcode, "POSTCODE").t(" ").v(city, "CITY")
    if rng.random() < 0.5:
        b.t("\n" + v.fake.current_country() if hasattr(v.fake, "current_country") else "")
    return b


def letter(v: Values, rng: random.Random) -> B:
    b = B().t({"de": "Sehr geehrte Frau ", "fr": "Chère Madame ", "es": "Estimada señora "}.get(v.lang, "Dear Ms "))
    b.v(v.last(), "PERSON_SURNAME_ONLY").t(",\n\nthank you for your letter about order 88231. We have refunded the "
                                           "shipping fee.\n\nKind regards,\n")
    return b.v(f"{v.first()} {v.last()}", "PERSON_FULL").t("\nCustomer Care")


def form(v: Values, rng: random.Random) -> B:
    first, last = v.first(), v.last()
    b = B().t("First name: ").v(first, "PERSON_FIRST_ONLY").t("\nLast name: ").v(last, "PERSON_SURNAME_ONLY")
    b.t("\nStreet: ").v(v.street(), "STREET_ADDRESS").t("\nPostcode: ").v(v.postcode(), "POSTCODE")
    b.t("\nCity: ").v(v.city(), "CITY").t("\nE-mail: ").v(v.email(first, last), "EMAIL_ADDRESS")
    return b


def log_line(v: Values, rng: random.Random) -> B:
    b = B().t(f"2026-11-28T10:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z INFO ")
    choice = rng.randrange(4)
    if choice == 0:
        b.t("payment accepted for ").v(f"{v.first()} {v.last()}", "PERSON_FULL").t(" card=")
        b.v(ids.card(rng), "CREDIT_CARD")
    elif choice == 1:
        b.t("login ok user=").v(v.email(), "EMAIL_ADDRESS").t(" ip=").v(v.fake.ipv4_public(), "IP_ADDRESS")
    elif choice == 2:
        number, country = v.phone()
        b.t("sms sent to=").v(number, "PHONE_NUMBER", country).t(" template=otp")
    else:
        b.t("customer lookup id=").v(ids.account(rng), "ACCOUNT_NUMBER").t(" by agent=")
        b.v(v.first(), "PERSON_FIRST_ONLY")
    return b


def patterns(v: Values, rng: random.Random) -> B:
    """The pattern cases the issue lists, each in a sentence."""
    case = rng.randrange(16)
    b = B()
    if case == 0:
        b.t("Charge my card ").v(ids.card(rng, prefix="35"), "CREDIT_CARD").t(" for the renewal.")
    elif case == 1:
        b.t("The card number is ").v(ids.card(rng), "CREDIT_CARD").t(", expiry 09/28.")
    elif case == 2:
        b.t("Send the receipt to ").v(f"{_ascii(v.first()).lower()}{rng.randrange(1000)}@"
                                      f"{rng.choice(['163.com', '126.com', '139.com', '189.cn', '21cn.com'])}",
                                      "EMAIL_ADDRESS").t(" please")
    elif case == 3:
        name = rng.choice(["OPENAI_API_KEY", "STRIPE_SECRET_KEY", "ANTHROPIC_API_KEY", "MY_SERVICE_API_KEY"])
        b.t(f"export {name}=").v(ids.api_key(rng, name), "API_KEY")
    elif case == 4:
        b.t("my hugging face token ").v(ids.api_key(rng, "hf"), "API_KEY").t(" stopped working")
    elif case == 5:
        b.t("git clone https://oauth2:").v(ids.api_key(rng, "glpat"), "API_KEY").t("@gitlab.com/acme/app.git")
    elif case == 6:
        b.t("SENDGRID key: ").v(ids.api_key(rng, "sendgrid"), "API_KEY")
    elif case == 7:
        b.t("Aadhaar ").v(ids.aadhaar(rng, spaced=True), "IN_AADHAAR").t(" and PAN ").v(ids.pan(rng), "IN_PAN")
    elif case == 8:
        b.t("my social is ").v(ids.ssn(rng), "US_SSN").t(", can you verify the claim")
    elif case == 9:
        b.t("CPF do titular: ").v(ids.cpf(rng), "BR_CPF")
    elif case == 10:
        b.t("身份证 / resident id ").v(ids.cn_id(rng), "CN_RESIDENT_ID").t(" for the visa form")
    elif case == 11:
        b.t(rng.choice(["I was born on ", "DOB: ", "date of birth ", "geb. am ", "né le "])).v(dob(rng), "DATE_OF_BIRTH")
    elif case == 12:
        b.t(rng.choice(["account number ", "customer no. ", "Kundennummer ", "numéro client "]))
        b.v(ids.account(rng), "ACCOUNT_NUMBER").t(" has an open balance")
    elif case == 13:
        b.t("IBAN for the refund: ").v(ids.iban(v.fake, rng), "IBAN_CODE")
    elif case == 14:
        b.t("the request came from ").v(v.fake.ipv4_public() if rng.random() < 0.7 else v.fake.ipv6(), "IP_ADDRESS")
    else:
        b.t("user ").v(ids.user_id(rng), "USER_ID").t(" reported the outage")
    return b


def dob(rng: random.Random) -> str:
    y, m, d = rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28)
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    return rng.choice([f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{months[m - 1]} {d}, {y}"])


TEXT_KINDS = [(full_prompt, "prompt", 120), (repeated, "chat", 70), (lone_first, "chat", 70), (lone_last, "chat", 50),
              (two_people, "chat", 30), (lowercase_list, "chat", 40), (allcaps_form, "form", 40),
              (address_block, "address", 60), (letter, "letter", 40), (form, "form", 40), (log_line, "log", 60),
              (patterns, "pattern", 300)]


def tool_args(v: Values, rng: random.Random) -> tuple[dict, list[Planted]]:
    first, last = v.first(), v.last()
    fields: dict[str, str] = {}
    planted: list[Planted] = []

    def put(key: str, value: str, category: str, country: str = "") -> None:
        fields[key] = value
        planted.append(Planted(value, category, country))

    if rng.random() < 0.5:
        put("first_name", first, "PERSON_FIRST_ONLY")
        put("last_name", last, "PERSON_SURNAME_ONLY")
    else:
        put("given_names", first, "PERSON_FIRST_ONLY")
        put("surname", last, "PERSON_SURNAME_ONLY")
    number, country = v.phone()
    put(rng.choice(["phone", "mobile", "contact_number"]), number, "PHONE_NUMBER", country)
    if rng.random() < 0.6:
        put("address", v.street(), "STREET_ADDRESS")
        put(rng.choice(["postcode", "zip", "postal_code"]), v.postcode(), "POSTCODE")
        put("city", v.city(), "CITY")
    extra = rng.randrange(4)
    if extra == 0:
        put("applicant_ssn", ids.ssn(rng), "US_SSN")
    elif extra == 1:
        put("dob", dob(rng), "DATE_OF_BIRTH")
    elif extra == 2:
        put("customer_id", ids.account(rng), "ACCOUNT_NUMBER")
    fields["reason"] = rng.choice(["address change", "refund", "new contract", "kyc update"])
    return fields, planted


SHORT_KEYS = [
    ("app.customer.display_name", "PERSON_FULL"), ("crm.contact_name", "PERSON_FULL"), ("customer_name", "PERSON_FULL"),
    ("crm.contact_phone", "PHONE_NUMBER"), ("billing.contact_email", "EMAIL_ADDRESS"),
    ("shipping.street", "STREET_ADDRESS"), ("app.user_ref", "USER_ID"), ("crm.account_number", "ACCOUNT_NUMBER"),
    ("app.customer.first_name", "PERSON_FIRST_ONLY"), ("kyc.applicant_ssn", "US_SSN"),
]


def short_value(v: Values, rng: random.Random) -> tuple[str, str, list[Planted]]:
    key, category = rng.choice(SHORT_KEYS)
    country = ""
    if category == "PERSON_FULL":
        value = f"{v.first()} {v.last()}"
    elif category == "PERSON_FIRST_ONLY":
        value = v.first()
    elif category == "PHONE_NUMBER":
        value, country = v.phone()
    elif category == "EMAIL_ADDRESS":
        value = v.email()
    elif category == "STREET_ADDRESS":
        value = v.street()
    elif category == "USER_ID":
        value = ids.user_id(rng)
    elif category == "US_SSN":
        value = ids.ssn(rng)
    else:
        value = ids.account(rng)
    return key, value, [Planted(value, category, country)]


# --- negatives -----------------------------------------------------------------------------------

CITIES = ["Frankfurt", "Mumbai", "Dublin", "Singapore", "Tokyo", "São Paulo", "Sydney", "Oregon", "Virginia",
          "Paris", "London", "Stockholm", "Zurich", "Seoul", "Jakarta", "Milan", "Madrid", "Toronto"]
LOOKALIKES = [
    "Deploy to the {city} region failed at step 3 of 7; retrying in 30s.",
    "Page the {city} on-call if the error budget drops below 20%.",
    "Traffic shifted from {city} to the backup cluster after the health check failed.",
    "{city} edge nodes report p99 latency of 840 ms since 09:10 UTC.",
    "The {city}-2 availability zone is back to normal capacity.",
    "Upgraded firmware {ver} on all routers; next window is Sunday 02:00.",
    "Client version {ver} is deprecated, please update to the latest build.",
    "Build {ver} passed the canary and is rolling out to 25% of the fleet.",
    "Route this to Customer Success, Severity One, and copy the Incident Commander.",
    "The Quarterly Business Review moved to the Board Room on the third floor.",
    "Escalate to Tier Two Support only after the Root Cause Analysis is drafted.",
    "Account Management and Revenue Operations own the renewal playbook.",
    "Do you have the {product} in size 44?",
    "Compare the {product} with last year's model, please, in a short table.",
    "The {product} is back in stock in the Berlin warehouse.",
    "Write a product description for the {product} under 60 words.",
    "Summarise the Terms of Service section on Data Retention in three bullets.",
    "Translate 'Order Confirmation' and 'Track Your Parcel' into Spanish.",
    "Our Net Promoter Score rose to 41 after the Checkout Redesign shipped.",
    "Open the Grafana dashboard 'API Gateway Overview' and filter by status 503.",
]
PRODUCTS = ["Nike Air Max 90", "Tesla Model Y", "iPhone 15 Pro", "Galaxy S24 Ultra", "ThinkPad X1 Carbon",
            "PlayStation 5", "Adidas Ultraboost 22", "Dyson V15 Detect", "Kindle Paperwhite", "Toyota Corolla Cross"]
TECH = [
    'Traceback (most recent call last):\n  File "/app/service/handlers.py", line {n}, in handle\n'
    '    result = await self.repo.fetch(order_id)\n  File "/app/service/repo.py", line 88, in fetch\n'
    '    raise NotFound(f"order {{order_id}} not found")\napp.errors.NotFound: order not found',
    "SELECT o.id, o.total, o.created_at FROM orders o JOIN customers c ON c.id = o.customer_id "
    "WHERE o.status = 'pending' AND o.created_at > now() - interval '{n} days' ORDER BY o.created_at DESC LIMIT 50;",
    "Warning  BackOff  pod/checkout-7d9f8b6c5-x2k4q  Back-off restarting failed container checkout in pod "
    "checkout-7d9f8b6c5-x2k4q_default({uuid})",
    "Normal  Scheduled  {n}s  default-scheduler  Successfully assigned payments/worker-5f7c9 to ip-10-0-3-17.ec2.internal",
    "2026-11-28T09:{n:02d}:11.482Z WARN  [http-nio-8080-exec-4] o.a.c.c.C.[Tomcat].[localhost] Request took 2381 ms "
    "uri=/api/v2/orders status=504",
    "def retry(fn, attempts={n}, backoff=0.5):\n    for i in range(attempts):\n        try:\n            return fn()\n"
    "        except TimeoutError:\n            time.sleep(backoff * 2 ** i)\n    raise RuntimeError('gave up')",
    "const total = items.reduce((sum, item) => sum + item.price * item.qty, 0);\nif (total > {n}) applyDiscount(cart);",
    "ERROR 1213 (40001): Deadlock found when trying to get lock; try restarting transaction (thread {n})",
    "kubectl rollout status deployment/api-gateway -n prod --timeout={n}s",
    "GET /v1/models/gpt-4o-mini/completions?stream=true 200 {n}ms trace_id={hex}",
    "docker run --rm -p 8080:8080 -e LOG_LEVEL=debug ghcr.io/acme/api:1.{n}.0",
    "CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id, created_at) WHERE deleted_at IS NULL;",
    "panic: runtime error: index out of range [{n}] with length 3\n\ngoroutine 17 [running]:\nmain.parse(...)\n"
    "\t/src/cmd/ingest/main.go:212 +0x1d4",
    "The retry budget is {n} requests per second per client; above it the gateway answers 429 with Retry-After.",
    "Embedding job finished: 12,{n:03d} chunks, 384 dims, model text-embedding-3-small, 41.2 s.",
]


def _docstring_paragraphs(rng: random.Random, limit: int) -> list[str]:
    """Prose from the standard library's docstrings on this machine: real technical English."""
    import ast
    import sysconfig

    root = Path(sysconfig.get_paths()["stdlib"])
    found: list[str] = []
    for path in sorted(root.glob("*.py"))[:200]:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)):
                doc = ast.get_docstring(node) or ""
                para = doc.split("\n\n")[0].replace("\n", " ").strip()
                if 60 <= len(para) <= 400 and not _has_person_hint(para):
                    found.append(para)
    rng.shuffle(found)
    return found[:limit]


def _has_person_hint(text: str) -> bool:
    if re.search(r"@|copyright|author|written by|contributed|thanks|guido|\(c\)", text, re.IGNORECASE):
        return True
    # two capitalised words in a row not at a sentence start: maybe a name
    return bool(re.search(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+ [A-Z][a-z]+\b", text))


def negatives(rng: random.Random, count: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    prose = _docstring_paragraphs(rng, count // 5)
    out += [(p, "prose") for p in prose]
    while len(out) < count:
        if rng.random() < 0.45:
            template = rng.choice(LOOKALIKES)
            ver = ".".join(str(rng.randrange(1, 99)) for _ in range(4))
            out.append((template.format(city=rng.choice(CITIES), ver=ver, product=rng.choice(PRODUCTS)), "lookalike"))
        else:
            template = rng.choice(TECH)
            out.append((template.format(n=rng.randrange(1, 999), uuid=_uuid(rng),
                                        hex="".join(rng.choice("0123456789abcdef") for _ in range(32))), "technical"))
    return out


def _uuid(rng: random.Random) -> str:
    h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


NEGATIVE_FIELDS = [
    {"order_id": "ORD-{n}", "status": "shipped", "carrier": "DHL Express", "region": "eu-central-1"},
    {"query": "refund policy for damaged items", "top_k": "5", "index": "kb-articles-v{n}"},
    {"product": "Tesla Model Y", "question": "towing capacity", "units": "metric"},
    {"ticket_priority": "Severity One", "team": "Customer Success", "sla_hours": "{n}"},
]


TEAMS = ["Customer Success", "Revenue Operations", "Platform Reliability", "Severity One", "Tier Two Support",
         "Account Management", "Growth Marketing", "Trust and Safety"]


def _negative_short(rng: random.Random) -> tuple[str, str]:
    """A short attribute value that must stay: region, version, team, product, route."""
    kind = rng.randrange(5)
    if kind == 0:
        return "app.deploy.region_name", f"{rng.choice(CITIES)} {rng.choice(['region', 'on-call', 'edge', 'DC', '-2'])}"
    if kind == 1:
        parts = [rng.randrange(0, 13)] + [rng.randrange(0, 120) for _ in range(rng.choice([2, 3]))]
        return "app.release", ".".join(map(str, parts))
    if kind == 2:
        return "app.team_name", rng.choice(TEAMS)
    if kind == 3:
        return "shop.product_name", rng.choice(PRODUCTS)
    return "app.route_name", rng.choice(["GET /v1/orders/{id}", "POST /v1/chat", "checkout.submit", "kb.search"])


def build(seed: int = SEED) -> list[Item]:
    rng = random.Random(seed)
    locales = list(LOCALES)
    values = {loc: Values(loc, random.Random(rng.randrange(1 << 30))) for loc in locales}
    items: list[Item] = []

    def pick() -> Values:
        return values[rng.choice(locales)]

    for make, kind, count in TEXT_KINDS:
        for _ in range(count):
            v = pick()
            b = make(v, rng)
            items.append(Item(f"dev-{len(items):05d}", text=b.text, planted=b.planted, kind=kind, lang=v.lang))
    for _ in range(120):
        fields, planted = tool_args(pick(), rng)
        items.append(Item(f"dev-{len(items):05d}", fields=fields, planted=planted, kind="tool_args"))
    for _ in range(110):
        key, value, planted = short_value(pick(), rng)
        items.append(Item(f"dev-{len(items):05d}", text=value, key=key, planted=planted, kind="short"))
    for text, kind in negatives(rng, 520):
        items.append(Item(f"dev-{len(items):05d}", text=text, kind=f"negative/{kind}"))
    for _ in range(40):
        fields = {k: v.format(n=rng.randrange(1, 9999)) for k, v in rng.choice(NEGATIVE_FIELDS).items()}
        items.append(Item(f"dev-{len(items):05d}", fields=fields, kind="negative/tool_args"))
    for _ in range(40):
        key, value = _negative_short(rng)
        items.append(Item(f"dev-{len(items):05d}", text=value, key=key, kind="negative/short"))
    rng.shuffle(items)
    return items
