"""The built-in pattern table: data, in the spirit of Presidio's PatternRecognizer.

Each row: name, entity type, regex, base score, validator name, context words.
Regexes stay in the subset that Python `re`, RE2 and Hyperscan all accept (no
look-around, no back-references), so any engine can run them. A score below
the threshold (0.5 by default) means "only with a context word nearby": used for
bare digit runs whose checksum alone is too weak (a 9-digit number passes the
BSN 11-proof one time in 11).
"""

from __future__ import annotations

from scrubber.detection.config import PatternSpec

#: bump when the table changes, so content-addressed caches don't serve stale results
TABLE_VERSION = "2026.1"

_STREET_EN = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Square|Sq|"
    "Terrace|Crescent|Close|Gardens|Park|Parkway|Pkwy|Crossing|Orchard|Hill|Hills|Mews|Row|Grove|"
    "Circle|Cir|Trail|Heights|Ridge|Loop|Pike|Highway|Hwy|Meadow|Meadows|Green|Walk|Wharf|Causeway|"
    "Spur|Burg|Burgs|Mountain|Mountains|Valley|View|Village|Villages|Union|Unions|Point|Points|Port|"
    "Plaza|Route|Rue|Fort|Island|Lake|Lakes|Landing|Manor|Mill|Mills|Station|Summit|Turnpike|Vista|"
    "Shoal|Shoals|Stream|Center|Centre|Mall|Ford|Fords|Forge|Forges|Glen|Glens|Harbor|Harbour|Haven|"
    "Junction|Key|Keys|Knoll|Knolls|Neck|Oval|Pass|Path|Pines|Prairie|Ramp|Ranch|Rapids|Rest|Shore|"
    "Shores|Skyway|Springs|Square|Squares|Track|Trafficway|Tunnel|Underpass|Ville|Well|Wells|Estate|"
    "Estates|Expressway|Extension|Falls|Ferry|Field|Fields|Flat|Flats|Freeway|Garden|Gateway|Creek|"
    "Crest|Curve|Dale|Dam|Divide|Bypass|Camp|Canyon|Cape|Cliff|Cliffs|Club|Common|Commons|Corner|"
    "Corners|Course|Courts|Cove|Coves|Bridge|Brook|Brooks|Bluff|Bluffs|Bottom|Branch|Alley|Annex|Arcade|"
    "Beach|Bend|Isle|Light|Lights|Lock|Locks|Lodge|Motorway|Mount|Overpass|Parks|Plain|Plains|Radial|"
    "Ways|Ganj|Marg|Chowk|Nagar|Path|Zila|Road"
)
_STREET_DE = "stra(?:ß|ss)e|str\\.|weg|ring|allee|platz|gasse|damm|ufer|chaussee|steig|pfad|markt"
_STREET_DE_CAP = "Stra(?:ß|ss)e|Str\\.|Weg|Ring|Allee|Platz|Gasse|Damm|Ufer|Chaussee|Steig|Pfad|Markt"
_DE_WORD = "[A-ZÄÖÜ][A-Za-zÄÖÜäöüß.]*"
_CAP = "[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'\\-]+"

BUILTIN: tuple[PatternSpec, ...] = (
    PatternSpec(
        name="email", entity="EMAIL_ADDRESS", score=1.0, validator="email",
        regex=r"\b[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b",
    ),
    PatternSpec(
        name="phone", entity="PHONE_NUMBER", score=0.75, validator="phone",
        context=("phone", "tel", "telephone", "call", "mobile", "cell", "fax", "whatsapp", "contact"),
        regex=r"(?:\+\d{1,3}|\b00\d{1,3}|\(\d{2,5}\)|\b\d{2,5})(?:[ .\-/]{0,2}(?:\(\d{1,5}\)|\d{1,5})){1,6}"
              r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?\b",
    ),
    PatternSpec(
        name="phone_bare", entity="PHONE_NUMBER", score=0.3, validator="phone_bare",
        context=("phone", "tel", "telephone", "call", "mobile", "cell", "fax", "whatsapp", "contact"),
        regex=r"(?:\+|\b)\d{7,15}\b",
    ),
    PatternSpec(
        name="credit_card", entity="CREDIT_CARD", score=0.95, validator="credit_card",
        context=("card", "credit", "debit", "visa", "mastercard", "amex", "payment", "cc"),
        regex=r"\b\d{4}[ \-]?\d{4,6}[ \-]?\d{4,5}(?:[ \-]?\d{1,4}){0,2}\b",
    ),
    PatternSpec(
        name="iban", entity="IBAN_CODE", score=1.0, validator="iban",
        context=("iban", "bank", "account", "transfer", "sepa"),
        regex=r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
    ),
    PatternSpec(
        name="ipv4", entity="IP_ADDRESS", score=0.8, validator="ipv4",
        context=("ip", "address", "client", "host", "remote"),
        regex=r"\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b",
    ),
    PatternSpec(
        name="ipv6", entity="IP_ADDRESS", score=0.8, validator="ipv6",
        regex=r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{1,34}(?:\.\d{1,3}){0,3}",
    ),
    PatternSpec(
        name="us_ssn", entity="US_SSN", score=0.6, validator="us_ssn",
        context=("ssn", "social", "security", "ss#", "taxpayer"),
        regex=r"\b\d{3}[- ]\d{2}[- ]\d{4}\b",
    ),
    PatternSpec(
        name="us_ssn_bare", entity="US_SSN", score=0.3, validator="us_ssn",
        context=("ssn", "social security", "ss#"),
        regex=r"\b\d{9}\b",
    ),
    PatternSpec(
        name="uk_nino", entity="UK_NINO", score=0.7, validator="uk_nino",
        context=("national insurance", "nino", "ni number", "insurance"),
        regex=r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    ),
    PatternSpec(
        name="uk_nhs", entity="UK_NHS", score=0.45, validator="uk_nhs",
        context=("nhs", "health", "patient", "hospital", "gp"),
        regex=r"\b\d{3}[ \-]?\d{3}[ \-]?\d{4}\b",
    ),
    PatternSpec(
        name="in_aadhaar", entity="IN_AADHAAR", score=0.45, validator="in_aadhaar",
        context=("aadhaar", "aadhar", "uidai", "uid"),
        regex=r"\b[2-9]\d{3}[ \-]?\d{4}[ \-]?\d{4}\b",
    ),
    PatternSpec(
        name="in_pan", entity="IN_PAN", score=0.6,
        context=("pan", "permanent account", "income tax"),
        regex=r"\b[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]\b",
    ),
    PatternSpec(
        name="es_nif", entity="ES_NIF", score=0.85, validator="es_nif",
        context=("dni", "nif", "nie", "documento"),
        regex=r"\b(?:\d{8}|[XYZ]-?\d{7})-?[A-Z]\b",
    ),
    PatternSpec(
        name="it_fiscal_code", entity="IT_FISCAL_CODE", score=0.9, validator="it_fiscal_code",
        context=("codice fiscale", "fiscal", "cf"),
        regex=r"\b[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]\b",
        ignore_case=False,
    ),
    PatternSpec(
        name="nl_bsn", entity="NL_BSN", score=0.3, validator="nl_bsn",
        context=("bsn", "burgerservicenummer", "sofinummer"),
        regex=r"\b\d{9}\b",
    ),
    PatternSpec(
        name="pl_pesel", entity="PL_PESEL", score=0.4, validator="pl_pesel",
        context=("pesel",),
        regex=r"\b\d{11}\b",
    ),
    PatternSpec(
        name="fr_nir", entity="FR_NIR", score=0.7, validator="fr_nir",
        context=("sécurité sociale", "securite sociale", "nir", "insee", "numéro de sécu"),
        regex=r"\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b",
    ),
    PatternSpec(
        name="de_tax_id", entity="DE_TAX_ID", score=0.4, validator="de_tax_id",
        context=("steuer", "steuer-id", "steueridentifikationsnummer", "idnr", "tax id", "identifikationsnummer"),
        regex=r"\b[1-9]\d{10}\b",
    ),
    # -- secrets: fixed prefixes make these near-certain ---------------------------------
    PatternSpec(
        name="openai_key", entity="SECRET", score=0.95, validator="token_entropy",
        regex=r"\bsk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]+-)?[A-Za-z0-9_\-]{20,}",
    ),
    PatternSpec(name="aws_access_key", entity="SECRET", score=0.95,
                regex=r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    PatternSpec(name="github_token", entity="SECRET", score=0.95,
                regex=r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    PatternSpec(name="slack_token", entity="SECRET", score=0.95,
                regex=r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    PatternSpec(name="stripe_key", entity="SECRET", score=0.95,
                regex=r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    PatternSpec(name="google_api_key", entity="SECRET", score=0.95, regex=r"\bAIza[0-9A-Za-z_\-]{35}"),
    PatternSpec(name="jwt", entity="SECRET", score=0.95,
                regex=r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    PatternSpec(name="bearer_token", entity="SECRET", score=0.9, group=1, ignore_case=True,
                regex=r"\b(?:bearer|token)\s+([A-Za-z0-9\-._~+/]{16,}=*)"),
    PatternSpec(name="private_key", entity="SECRET", score=1.0,
                regex=r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----|[\s\S]*)"),
    PatternSpec(
        name="secret_assignment", entity="SECRET", score=0.75, validator="secret_value", group=1,
        ignore_case=True,
        regex=r"\b(?:api[_\-]?key|apikey|secret|secret[_\-]?key|access[_\-]?token|auth[_\-]?token|password|passwd|pwd)"
              r"[\"']?\s*[:=]\s*[\"']?([^\s\"',;&]{8,})",
    ),
    # -- street addresses: NER misses most of them -------------------------------------
    PatternSpec(
        name="street_address_en", entity="ADDRESS", score=0.9,
        context=("address", "lives", "live", "located", "ship", "deliver"),
        regex=r"\b\d{1,5}[A-Za-z]?(?:/\d{1,4})?,?\s(?:" + _CAP + r" ){1,3}(?:" + _STREET_EN + r")\b"
              r"(?: (?:Apt\.|Suite|Unit) \d{1,5})?",
    ),
    PatternSpec(
        name="street_address_de", entity="ADDRESS", score=0.9,
        context=("adresse", "anschrift", "wohnt", "address", "lives"),
        regex=r"\b(?:(?:" + _DE_WORD + r"-)+(?:" + _STREET_DE_CAP + r")|[A-ZÄÖÜ][a-zäöüß]+(?:" + _STREET_DE + r"))"
              r" \d{1,5}(?:[a-z]|-\d{1,4})?\b",
    ),
    PatternSpec(
        name="street_address_fr_es", entity="ADDRESS", score=0.9,
        context=("adresse", "dirección", "direccion", "address"),
        regex=r"\b\d{1,4},? (?:rue|avenue|boulevard|impasse|chemin|place|allée|quai) (?:(?:de |du |des |la |l')?"
              + _CAP + r" ?){1,3}"
              r"|\b(?:Calle|Avenida|Paseo|Plaza|Camino|Ronda|Callejón|Cuesta|Vía|Via|Pasaje|Rambla|Cañada|Urbanización|"
              r"Travesía|Glorieta|Carretera|Alameda|Acceso|Pasadizo|Vial|Camino) (?:(?:de |del |la |las |los )?"
              + _CAP + r" ){1,3}\d{1,4}\b",
    ),
)
