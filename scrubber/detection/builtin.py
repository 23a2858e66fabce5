"""The built-in pattern table: data, in the spirit of Presidio's PatternRecognizer.

Each row: name, entity type, regex, base score, validator name, context words.
Regexes stay in the subset that Python `re`, RE2 and Hyperscan all accept (no
look-around, no back-references), so any engine can run them. A score below
the threshold (0.5 by default) means "only with a context word nearby": used for
bare digit runs whose checksum alone is too weak (a 9-digit number passes the
BSN 11-proof one time in 11).
"""

from __future__ import annotations

from scrubber.detection import addresses, context
from scrubber.detection.config import PatternSpec

#: bump when the table changes, so content-addressed caches don't serve stale results
TABLE_VERSION = "2026.5"

_A = addresses
_CITY = _A.CAP + "(?:[ \\-]" + _A.CAP + "){0,2}"
_PHRASE_SEP = (
    "(?:[\\s_\\-]*(?:number|no\\.?|nr\\.?|num\\.?|#|id|code|nummer|numéro|número|numero|n[°º]\\.?|n\\.|nº|"
    "ref|reference|referenz|référence|referencia|referência|riferimento|sankhya|kramank))?"
)
#: a separator is required between the word and the value: `account2024report` is one token
#: and a dash only with a space beside it: `consumer-1-abc123` is one token too
#: JSON and logfmt labels quote the value: `"acct_no": "7730114462"`, `acct_ref="ZX-20931-77"`
_PHRASE_GLUE = (
    "(?:[\"']?\\s*[:#=]\\s*[\"']?|\\s+-\\s*|\\s*-\\s+|"
    "\\s+(?:(?:is|ist|est|es|é|è|hai|est le|es el|é o|è il|is het)\\s+)?[:#]?\\s*[(\\[]?)"
)
#: an optional letter prefix (KD-, POL-, C), then a digit: words are never the value
#: digit groups after a space run up to 12 digits: a Spanish CCC ends in a 10-digit group (0049 1500 05 1234567892)
_REF_VALUE = "((?:(?-i:[A-Z]{2,4}) |[A-Z]{1,6}[-/.]?)?\\d[A-Z0-9\\-/.]{0,24}[A-Z0-9](?: \\d{2,12}){0,5})"


def _before_words(words: str) -> str:
    """`<value> is my [savings] <word>`, `<value> mera <word> hai`: the value is group 1."""
    return ("\\b" + _REF_VALUE + "\\s+(?:(?:" + _VERB + ")\\s+(?:(?:" + _POSSESSIVE + ")\\s+)?|(?:" + _POSSESSIVE
            + ")\\s+)(?:[a-zà-ü]{2,14}\\s+){0,2}(?:" + words + ")\\b")


def _user_words(words: str, value: str) -> str:
    """`<user word> [id|no.] [is|:|=] <value>`, without free words in between (`user count is 4471`)."""
    return "\\b(?:" + words + ")" + _PHRASE_SEP + "\\s*#?" + _PHRASE_GLUE + "#?" + value + "\\b"


def _after_words(words: str) -> str:
    """`<word> [number|no.|#|...] [is|:] <value>`: the value is group 1."""
    return "\\b(?:" + words + ")(?:[ \\t]+[a-z]{2,12}){0,2}?" + _PHRASE_SEP + _PHRASE_GLUE + _REF_VALUE + "\\b"


_ACCOUNT_WORDS = (
    "account|acct\\.?|a/c|bank account|kontonummer|konto|numéro de compte|compte|número de cuenta|cuenta|"
    "número da conta|conta|numero di conto|conto|rekeningnummer|rekening|khata|"
    # loyalty and travel programmes: the number names its member
    "frequent flyer|frequent flier|loyalty card|rewards|bonus card|payback|miles and more|vielfliegernummer|"
    "carte de fidélité|tarjeta de fidelidad|cartão fidelidade|carta fedeltà|"
    # the number written before its word, and short forms: acc. no., n° de compte
    "acc\\.|acc|n[o°º]\\.? de compte|n[o°º]\\.? de cuenta|n[o°º]\\.? da conta|kto\\.?|kontonr\\.?|"
    "vertragskonto|kundenkonto|rib|clabe|ccc"
)
#: words that make a bare 8 to 17 digit number in the same sentence an account number (as Presidio's
#: US_BANK_NUMBER does with its context words)
ACCOUNT_CONTEXT = (
    "account", "accounts", "acct", "a/c", "bank", "checking", "savings", "konto", "kontonummer", "girokonto",
    "compte", "cuenta", "conta", "conto", "rekening", "khata", "customer", "member", "membership", "policy",
    "kunde", "kundennummer", "client", "cliente", "klant", "polizza", "póliza", "apólice", "police",
)
_CUSTOMER_WORDS = (
    "customer|client (?:number|no\\.?|id|#)|member|membership|loyalty|subscriber|policy (?:number|no\\.?|#)|"
    "policyholder|my order|your order|order number|"
    "order no|kundennummer|kunden-nr\\.?|kunde|mitgliedsnummer|mitglied|versicherungsnummer|policennummer|"
    "bestellnummer|numéro client|numéro de client|adhérent|numéro de police|numéro de commande|commande|"
    "número de cliente|cliente|socio|póliza|poliza|número de pedido|pedido|apólice|apolice|"
    "codice cliente|polizza|numero d'ordine|ordine|klantnummer|klant|lidnummer|polisnummer|bestelnummer|"
    "grahak|mrn|medical record|patient id|patient number|patientennummer|numéro de patient|"
    "número de paciente|"
    # short forms and the number word first: KD-Nr., Kundennr., no. de client, n° d'abonné, numero di tessera
    "kd-?nr\\.?|kd\\.-nr\\.?|kundennr\\.?|client|n[o°º]\\.? de client|n[o°º]\\.? d'abonné|abonné|abonnement|"
    "tessera|socio|policy|insurance policy|versichertennummer|versicherungsschein|polisnummer|"
    # contracts name their holder as well as an account does
    "contract|contrato|contrat|contratto|vertrag|vertragsnummer|vertragsnr\\.?|contractnummer|mitgliedsnr\\.?|"
    # insurance claims and case files are the claimant's
    "claim|schadennummer|schadensnummer|aktenzeichen|dossier|numéro de sinistre|sinistre|siniestro|sinistro|"
    # staff and students: the number is the person's
    "employee|staff|personalnummer|mitarbeiternummer|matricule|student|matrikelnummer|numéro étudiant|"
    "número de matrícula|matrícula|matricola|studentnummer"
)
#: what names a user: their number (`user 88123`, `uid=48812`, `User #44812`) or their handle (`login: jdoe_88`)
_USER_WORDS = (
    "user|users? id|userid|uid|user[_.\\-]id|user[_.\\-]?(?:no|nr|number)|benutzer-?id|benutzernummer|"
    "nutzer-?id|utilisateur|id utilisateur|usuario|id de usuario|usuário|utente|id utente|gebruiker|"
    "gebruikers-?id|user id|enduser|enduser[_.\\-]id|end user"
)
_HANDLE_WORDS = (
    "username|user name|user-name|user_name|login|log-in|user|handle|screen name|benutzername|nutzername|"
    "benutzer|anmeldename|identifiant|nom d'utilisateur|utilisateur|usuario|nombre de usuario|usuário|"
    "nome de usuário|nome utente|utente|gebruikersnaam|gebruiker|inlognaam|uid|kennung|benutzerkennung|pseudo|"
    "alias|enduser"
)
#: a login handle: letters first, then letters, digits and `.`/`_` (jdoe_88, priya.k_91, k.tanaka)
_HANDLE_VALUE = "(@?[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+){0,3})"
#: `4471 0093 is my account`, `K-2291-0038 ist meine Kundennummer`: the number before a verb or a
#: possessive and then its word
_VERB = "is|was|ist|war|est|es|é|è|hai|is het|zijn"
_POSSESSIVE = (
    "my|our|your|his|her|their|the|meine?|unsere?|ihre?|mon|ma|notre|votre|mi|su|nuestra|nuestro|meu|minha|"
    "o meu|a minha|il mio|la mia|mijn|ons|onze|mera|meri|mere|hamara|apna"
)
_PASSPORT_WORDS = (
    "passport|passport no|reisepass|pass-nr\\.?|passnummer|passeport|pasaporte|passaporte|passaporto|paspoort|"
    "travel document"
)
_DOB_WORDS = (
    "dob|d\\.o\\.b\\.?|date of birth|birth date|birthdate|birthday|born(?: on)?|geboren(?: am)?|geburtsdatum|"
    "geburtstag|geb\\.|née? le|date de naissance|fecha de nacimiento|nacid[oa](?: el)?|cumpleaños|"
    "data de nascimento|nascid[oa](?: em)?|nasci(?: em| no dia)?|nací(?: el)?|data di nascita|nat[oa](?: il)?|"
    "geboortedatum|geboren op|"
    "janm ?tithi|janamdin|janm"
)
_MONTHS = (
    "jan(?:uary|uar|vier|eiro|uari)?|feb(?:ruary|ruar|ruari)?|fév(?:rier)?|fevereiro|febrero|febbraio|"
    "mar(?:ch|s|zo|ço|et)?|märz|maart|apr(?:il|ile)?|avr(?:il)?|abr(?:il)?|ma[iy]|mai|mayo|maio|maggio|mei|"
    "jun(?:e|i|io|ho)?|juin|giugno|jul(?:y|i|io|ho)?|juil(?:let)?|luglio|aug(?:ust|ustus)?|août|agosto|"
    "sep(?:t|tember|tiembre|tembro)?|settembre|oct(?:ober|obre|ubre)?|okt(?:ober)?|out(?:ubro)?|ottobre|"
    "nov(?:ember|embre|embro)?|dec(?:ember)?|déc(?:embre)?|dez(?:ember|embro)?|dic(?:iembre|embre)?"
)
_DATE = (
    "(\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}[./\\-]\\d{1,2}[./\\-]\\d{2,4}|"
    "\\d{1,2}(?:st|nd|rd|th|er|º|\\.)? (?:of |de )?(?:" + _MONTHS + ")\\.?,? (?:de )?\\d{4}|"
    "(?:" + _MONTHS + ")\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4})"
)

BUILTIN: tuple[PatternSpec, ...] = (
    PatternSpec(
        name="email", entity="EMAIL_ADDRESS", score=1.0, validator="email",
        regex=r"\b[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b",
    ),
    PatternSpec(
        name="phone", entity="PHONE_NUMBER", score=0.75, validator="phone", context=context.PHONE,
        regex=r"(?:\+\d{1,3}|\(\+\d{1,3}\)|\b00\d{1,3}|\(\d{1,5}\)|\b\d{1,5})(?:[ .\-/]{0,2}(?:\(\d{1,5}\)|\d{1,5})){1,7}"
              r"(?:,?\s?(?:x|ext\.?|extension)\s?\d{1,6})?\b",
    ),
    PatternSpec(
        name="phone_bare", entity="PHONE_NUMBER", score=0.3, validator="phone_bare", context=context.PHONE,
        regex=r"(?:\+|\b)\d{7,15}\b",
    ),
    PatternSpec(
        name="credit_card", entity="CREDIT_CARD", score=0.95, validator="credit_card",
        context=context.CARD,
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
        name="us_ssn", entity="US_SSN", score=0.6, validator="us_ssn", context=context.SSN,
        regex=r"\b\d{3}[- ]\d{2}[- ]\d{4}\b",
    ),
    PatternSpec(
        name="us_ssn_bare", entity="US_SSN", score=0.3, validator="us_ssn", context=context.SSN,
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
    PatternSpec(  # grouped 4-4-4 and Verhoeff-valid: an Aadhaar number without a context word
        name="in_aadhaar", entity="IN_AADHAAR", score=0.85, validator="in_aadhaar", context=context.AADHAAR,
        regex=r"\b[2-9]\d{3}[ \-]\d{4}[ \-]\d{4}\b",
    ),
    PatternSpec(  # 12 bare digits pass Verhoeff one time in 10: only with a context word
        name="in_aadhaar_bare", entity="IN_AADHAAR", score=0.45, validator="in_aadhaar", context=context.AADHAAR,
        regex=r"\b[2-9]\d{11}\b",
    ),
    PatternSpec(
        name="br_cpf", entity="BR_CPF", score=0.9, validator="br_cpf", context=context.CPF,
        regex=r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b",
    ),
    PatternSpec(
        name="br_cpf_bare", entity="BR_CPF", score=0.4, validator="br_cpf", context=context.CPF,
        regex=r"\b\d{11}\b",
    ),
    PatternSpec(
        name="br_cnpj", entity="BR_CNPJ", score=0.9, validator="br_cnpj", context=context.CNPJ,
        regex=r"\b\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}\b",
    ),
    PatternSpec(
        name="br_cnpj_bare", entity="BR_CNPJ", score=0.4, validator="br_cnpj", context=context.CNPJ,
        regex=r"\b\d{14}\b",
    ),
    PatternSpec(  # 18 characters: region, birth date, sequence, ISO 7064 MOD 11-2 check
        name="cn_ric", entity="CN_RESIDENT_ID", score=0.85, validator="cn_ric", context=context.CN_RIC,
        regex=r"\b[1-9]\d{16}[0-9Xx]\b",
    ),
    PatternSpec(
        name="in_pan", entity="IN_PAN", score=0.6,
        context=("pan", "permanent account", "income tax"),
        regex=r"\b[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]\b",
    ),
    PatternSpec(  # the PAN shape without its holder-type letter rule, after the word (ABCDE1234F)
        name="in_pan_loose", entity="IN_PAN", score=0.4, context=("pan", "pan card", "pan number", "income tax"),
        regex=r"\b[A-Z]{5}\d{4}[A-Z]\b",
    ),
    PatternSpec(  # card security codes: cvv 123, CVC: 4567
        name="card_cvv", entity="CREDIT_CARD", score=0.85, group=1, ignore_case=True,
        regex=r"\b(?:cvv2?|cvc2?|card security code|security code|código de seguridad|cryptogramme)\s*(?:is\s*)?[:=#]?\s*(\d{3,4})\b",
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
    PatternSpec(name="huggingface_token", entity="SECRET", score=0.95, regex=r"\bhf_[A-Za-z0-9]{30,}"),
    PatternSpec(name="gitlab_token", entity="SECRET", score=0.95,
                regex=r"\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_\-]{20,}"),
    PatternSpec(name="sendgrid_key", entity="SECRET", score=0.95,
                regex=r"\bSG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{30,50}"),
    PatternSpec(name="npm_token", entity="SECRET", score=0.95, regex=r"\bnpm_[A-Za-z0-9]{36}\b"),
    PatternSpec(name="pypi_token", entity="SECRET", score=0.95, regex=r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    PatternSpec(  # Twilio API key SKxxx, Mailgun key-xxx, Databricks dapi, DigitalOcean, Shopify, Groq, Replicate,
        # Perplexity, xAI, Postman, Doppler, Linear, Atlassian: fixed prefixes of common SaaS tokens
        name="saas_token", entity="SECRET", score=0.9, validator="token_entropy",
        regex=r"\b(?:SK[0-9a-f]{32}|key-[0-9a-f]{32}|dapi[0-9a-f]{32}|do[opr]_v1_[a-f0-9]{64}|"
              r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|gsk_[A-Za-z0-9]{40,}|r8_[A-Za-z0-9]{30,}|pplx-[A-Za-z0-9]{40,}|"
              r"xai-[A-Za-z0-9]{40,}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|dp\.(?:pt|st|sa)\.[A-Za-z0-9]{40,}|"
              r"lin_api_[A-Za-z0-9]{40}|ATATT3[A-Za-z0-9_\-=]{50,})\b",
    ),
    PatternSpec(  # Azure storage / service bus connection strings, SAS signatures
        name="azure_key", entity="SECRET", score=0.95, group=1,
        regex=r"(?:AccountKey|SharedAccessKey|sig)=([A-Za-z0-9+/%]{30,}=*)",
    ),
    PatternSpec(name="bearer_token", entity="SECRET", score=0.9, group=1, ignore_case=True,
                regex=r"\b(?:bearer|token)\s+([A-Za-z0-9\-._~+/]{16,}=*)"),
    PatternSpec(name="private_key", entity="SECRET", score=1.0,
                regex=r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----|[\s\S]*)"),
    PatternSpec(  # `api_key=`, `x-api-key:`, `client_secret=`, `db.password=`, `"authToken": "..."`
        name="secret_assignment", entity="SECRET", score=0.75, validator="secret_value", group=1,
        ignore_case=True,
        regex=r"(?:\b|_)(?:api[_\-]?key|apikey|secret|secret[_\-]?key|access[_\-]?key|private[_\-]?key|"
              r"signing[_\-]?key|encryption[_\-]?key|master[_\-]?key|client[_\-]?secret|access[_\-]?token|"
              r"auth[_\-]?token|refresh[_\-]?token|id[_\-]?token|session[_\-]?token|token|"
              r"[a-z0-9_.\-]*pass(?:word|wd)[a-z0-9_.\-]*|pwd|credentials?)"
              r"[\"']?\s*[:=]\s*[\"']?([^\s\"',;&]{8,})",
    ),
    PatternSpec(  # env-style names: SOME_API_KEY=..., GITHUB_TOKEN=..., DB_PASSWORD_PROD=..., X_SECRET: ...
        name="secret_env_assignment", entity="SECRET", score=0.75, validator="secret_value", group=1,
        regex=r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|PASS|CREDENTIALS?|AUTH)"
              r"(?:_[A-Z0-9]+)*[\"']?\s*[:=]\s*[\"']?([^\s\"',;&]{8,})",
    ),
    # -- dates of birth and personal reference numbers, after their words (several languages) -----
    # customer, member, policy and order numbers are USER_ID, the type the key catalog gives `customer_id`
    # and `account_id`: the same value found in a prompt and under a key gets the same pseudonym
    PatternSpec(
        name="date_of_birth", entity="DATE_OF_BIRTH", score=0.85, validator="date_of_birth", group=1,
        ignore_case=True,
        regex=r"\b(?:" + _DOB_WORDS + r")\s*(?:is|:|-|am|le|el|em|il|op)?\s*[:\-]?\s*" + _DATE,
    ),
    PatternSpec(  # 14/03/1987, 3 March 1962 without a word: a date of a year someone alive was born in
        name="date_birth_year", entity="DATE_OF_BIRTH", score=0.6, validator="birth_year_date", group=1,
        ignore_case=True, regex=r"\b" + _DATE + r"\b",
    ),
    PatternSpec(
        name="account_number", entity="ACCOUNT_NUMBER", score=0.7, validator="reference_number", group=1,
        ignore_case=True, regex=_after_words(_ACCOUNT_WORDS),
    ),
    PatternSpec(  # "the business one is 9928374650": a bare 8-17 digit number where an account word is near
        name="account_number_context", entity="ACCOUNT_NUMBER", score=0.3, context=ACCOUNT_CONTEXT,
        validator="bare_account_number", regex=r"\b\d{8,17}\b",
    ),
    PatternSpec(
        name="customer_number", entity="USER_ID", score=0.7, validator="reference_number", group=1,
        ignore_case=True, regex=_after_words(_CUSTOMER_WORDS),
    ),
    PatternSpec(  # "3310 4482 19 is my savings account", "K-2291-0038 ist meine Kundennummer"
        name="account_number_before_word", entity="ACCOUNT_NUMBER", score=0.7, validator="reference_before_word",
        group=1, ignore_case=True, regex=_before_words(_ACCOUNT_WORDS + "|" + _CUSTOMER_WORDS),
    ),
    PatternSpec(  # I'm user 88123, uid=48812, User #44812, mera user id 55128812 hai
        name="user_number", entity="USER_ID", score=0.7, validator="user_number", group=1, ignore_case=True,
        regex=_user_words(_USER_WORDS, _REF_VALUE),
    ),
    PatternSpec(  # login: jdoe_88, my username is priya.k_91, Benutzername ist mueller_k77, user=k.tanaka
        name="user_handle", entity="USER_ID", score=0.7, validator="user_handle", group=1, ignore_case=True,
        regex=_user_words(_HANDLE_WORDS, _HANDLE_VALUE),
    ),
    PatternSpec(  # order #A-1029384, Bestellung #4711-22 (a `#` after "order" is how people write theirs)
        name="order_reference", entity="USER_ID", score=0.7, validator="reference_number", group=1,
        ignore_case=True, regex=r"\b(?:order|bestellung|commande|pedido|ordine|bestelling)\s*#\s*" + _REF_VALUE + r"\b",
    ),
    PatternSpec(  # ids that say whose they are: CUST-3387169, cus_Nf8a..., acct_1A2b..., AC82087555, mbr-004411,
        # and in several groups: ACC-00931-7781, CUST/2024/00918, KD-4471-0093 (every group, not the first alone)
        name="prefixed_customer_id", entity="USER_ID", score=0.75, validator="prefixed_id", ignore_case=True,
        regex=r"\b(?:cust|cus|customer|acct|acc|ac|account|mbr|mem|member|pol|policy|client|cli|pat|patient|"
              r"subscriber|sub|kd|knd|kunde|ctr|contract|vertrag|cliente|klant)"
              r"(?:(?:[-_/][A-Za-z0-9]{0,24}\d[A-Za-z0-9]{0,24})(?:[-/][A-Za-z0-9]{1,24})*|\d{5,24})\b",
    ),
    PatternSpec(  # user ids that say so: u-31687828, usr_2nvgpb450j26, user-004411, uid_88213
        name="prefixed_user_id", entity="USER_ID", score=0.75, validator="prefixed_id", ignore_case=True,
        regex=r"\b(?:u|usr|user|uid)(?:[-_][A-Za-z0-9]{0,24}\d[A-Za-z0-9]{0,24}|\d{5,24})\b",
    ),
    PatternSpec(
        name="passport_number", entity="PASSPORT", score=0.8, validator="passport_number", group=1,
        ignore_case=True, regex=_after_words(_PASSPORT_WORDS),
    ),
    # -- postal addresses: a street line is the anchor, addresses.extend grows it into the block ---
    PatternSpec(  # 221B Baker Street, 1600 Pennsylvania Avenue NW, 12th Cross, 42 MG Road
        name="street_address_en", entity="ADDRESS", score=0.9, context=context.ADDRESS, validator="address_line",
        regex=r"\b(?:\d{1,5}(?:[A-Za-z]|st|nd|rd|th)?(?:[-/]\d{1,4}[A-Za-z]?)?,?\s(?:" + _A.CAP + r" ){1,3}(?:"
              + _A.STREET_EN + r")|\d{1,3}(?:st|nd|rd|th) (?:" + _A.STREET_ORDINAL + r"))\b(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?",
    ),
    PatternSpec(  # Baker Street 221B (name first, number after, as many non-native writers put it)
        name="street_address_en_number_after", entity="ADDRESS", score=0.85, context=context.ADDRESS,
        regex=r"\b(?:" + _A.CAP + r" ){1,3}(?:Street|Road|Avenue|Lane|Boulevard|Drive|Crescent|Terrace) [1-9]\d{0,4}[A-Z]?\b",
    ),
    PatternSpec(  # Bağdat Caddesi No: 45, Atatürk Bulvarı No. 12/3
        name="street_address_tr", entity="ADDRESS", score=0.85, context=context.ADDRESS,
        regex=r"\b(?:" + _A.CAP + r" ){1,3}(?:" + _A.STREET_TR + r")(?:,? No[:.]? ?\d{1,5}[A-Z]?(?:/\d{1,3})?)?",
    ),
    PatternSpec(  # 3-1-1 Marunouchi, Chiyoda-ku: a Japanese block number (chōme-ban-gō) before its district
        name="street_address_jp_latin", entity="ADDRESS", score=0.85, context=context.ADDRESS,
        validator="address_line",
        regex=r"\b\d{1,2}-\d{1,2}-\d{1,3} [A-Z][a-z]{2,}(?:-(?:ku|shi|cho|chō|machi)\b|"
              r", [A-Z][a-z]+-(?:ku|shi|ken|gun|cho|chō)\b)",
    ),
    PatternSpec(  # 〒100-0001 東京都千代田区千代田1-1 (a Japanese postcode and the address after it)
        name="address_jp", entity="ADDRESS", score=0.9, context=context.ADDRESS,
        regex=r"〒 ?\d{3}-?\d{4}(?:[ 　]?[^\s、。,，]{1,40})?",
    ),
    PatternSpec(  # 北京市朝阳区建国路88号 (Chinese: places, a road, its number and 号)
        name="address_cn", entity="ADDRESS", score=0.85, context=context.ADDRESS,
        regex=r"[一-鿿]{2,24}(?:路|街|道|巷|弄|大道)\d{1,5}(?:号|號)(?:[一-鿿\d]{0,12}(?:室|楼|樓|层|層))?",
    ),
    PatternSpec(  # PO Box 1234, Postfach 10 12 34, Apartado 1234, Caixa Postal 123, Postbus 123
        name="po_box", entity="ADDRESS", score=0.9, context=context.ADDRESS,
        regex=r"\b(?:P\.? ?O\.? Box|Post Box|Postfach|Apartado(?: de [Cc]orreos)?|Caixa Postal|Casella [Pp]ostale|Postbus)"
              r" \d{1,6}(?: \d{2}){0,2}\b",
    ),
    PatternSpec(  # Hauptstraße 5, Keizersgracht 123, Van Baerlestraat 12a, Alexa-Pergande-Ring 280
        name="street_address_de_nl", entity="ADDRESS", score=0.9, context=context.ADDRESS,
        regex=r"\b(?:(?:[A-ZÄÖÜ][A-Za-zÄÖÜäöüß.]*-)+(?:" + _A.STREET_WORD_DE_NL + r")|(?:" + _A.CAP_DE + r" ){0,2}"
              + _A.CAP_DE + r"(?:" + _A.STREET_SUFFIX + r")|(?:" + _A.CAP_DE + r" ){1,3}(?:" + _A.STREET_WORD_DE_NL
              + r"))\.? [1-9]\d{0,4}(?:[a-z]|-\d{1,4}|/\d{1,4})?\b",
    ),
    PatternSpec(  # 12, rue de la Paix; 8 bis avenue Foch
        name="street_address_fr", entity="ADDRESS", score=0.9, context=context.ADDRESS,
        regex=r"\b\d{1,4}(?: ?(?:bis|ter|[A-D]))?,? (?:" + _A.STREET_TYPE_FR + r") (?:(?:" + _A.PARTICLES
              + r") ?)?(?:" + _A.CAP + r" ?(?:(?:" + _A.PARTICLES + r") ?)?){1,4}",
    ),
    PatternSpec(  # Via Roma 12, Rua das Flores, 123, Calle Mayor 5, Avenida Paulista, n.º 1578, Rue de la Loi 16
        name="street_address_type_first", entity="ADDRESS", score=0.9, context=context.ADDRESS,
        validator="street_line",
        regex=r"\b(?:" + _A.STREET_TYPE_FIRST + r") (?:(?:" + _A.PARTICLES + r") )?(?:" + _A.CAP + r" (?:(?:"
              + _A.PARTICLES + r") )?){0,3}" + _A.CAP + r",? (?:n\.?[º°o]?\.?\s?|nº\s?|no\.\s?|s/n)?" + _A.HOUSE_NO + r"\b",
    ),
    PatternSpec(  # Flat 4B, Sunshine Apartments, 12th Cross, MG Road, Bengaluru 560001 (a line ending in a postcode)
        name="address_line_postcode", entity="ADDRESS", score=0.9, context=context.ADDRESS, validator="address_line",
        regex=r"\b(?:(?:Flat|House|H\.? ?No\.?|Plot|Door|Shop|Apt\.?|Suite|Unit|No\.?|#) ?(?:No\.? ?)?[A-Z0-9][A-Z0-9\-/]{0,5}"
              r"|[A-Z]-?\d{1,4}|\d{1,5}[A-Z]?(?:/\d{1,4})?),(?: ?[A-Za-z0-9][A-Za-z0-9 .'/\-]{1,40},){0,6} ?" + _CITY
              + r"(?: ?[-–,]? ?[1-9]\d{2} ?\d{3}| " + _A.UK_POSTCODE + r"|,? \d{5}(?:-\d{3,4})?)\b",
    ),
    PatternSpec(  # Unter den Linden 77, 10117 Berlin: a street of any type, its number, then postcode and city
        name="street_then_postcode", entity="ADDRESS", score=0.85, context=context.ADDRESS, validator="address_line",
        regex=r"\b(?:" + _A.CAP + r" (?:(?:" + _A.PARTICLES + r") )?){1,4}" + _A.HOUSE_NO
              + r", (?:\d{4,5}|\d{2}-\d{3}|\d{5}-\d{3}|\d{4} ?[A-Z]{2}) " + _CITY,
    ),
    PatternSpec(  # Calle 93 #13-45, Carrera 7 No. 71-21, Str. Lipscani 20: numbered grid streets (CO, RO)
        name="street_address_numbered", entity="ADDRESS", score=0.9, context=context.ADDRESS,
        regex=r"\b(?:Calle|Carrera|Cra\.?|Cl\.?|Avenida|Av\.?|Transversal|Diagonal|Tv\.?|Dg\.?) \d{1,3}[A-Z]? ?(?:Bis ?)?"
              r"(?:#|No\.?|N°|Nº) ?\d{1,3}[A-Z]?-\d{1,3}\b|\bStr\. " + _A.CAP + r"(?: " + _A.CAP + r"){0,2},? (?:nr\.? ?)?\d{1,4}[A-Z]?\b",
    ),
    PatternSpec(  # Springfield, IL 62704-1234 (US ZIP or ZIP+4 after a state)
        name="us_city_state_zip", entity="ADDRESS", score=0.85, context=context.ADDRESS,
        regex=_CITY + r",? (?:" + _A.US_STATES + r") \d{5}(?:-\d{4})?\b",
    ),
    PatternSpec(  # SW1A 1AA, EC1A 1BB: the UK format is distinctive enough alone
        name="uk_postcode", entity="ADDRESS", score=0.7, context=context.ADDRESS,
        regex=r"\b" + _A.UK_POSTCODE_SPACED + r"\b",
    ),
    PatternSpec(  # Street: ..., PLZ: 10115, City: Lake Sarahchester (the label says what the value is)
        name="address_field", entity="ADDRESS", score=0.85, validator="address_field", group=2, ignore_case=True,
        regex=_A.FIELD_REGEX,
    ),
    PatternSpec(  # zip=30301 city=Atlanta (logfmt: the value ends at the space before the next key)
        name="address_field_logfmt", entity="ADDRESS", score=0.85, validator="address_field", group=2,
        ignore_case=True, regex=_A.FIELD_LOGFMT_REGEX,
    ),
    PatternSpec(  # my zip is 94107, PLZ 80331, code postal c'est 69003, CEP é 22041-001, pincode 411001 hai
        name="postcode_after_word", entity="ADDRESS", score=0.8, group=1, regex=_A.POSTCODE_AFTER_WORD_REGEX,
    ),
    PatternSpec(  # M5V 2T6, K1A 0B1: the Canadian format with its space is distinctive alone, like the UK's
        name="ca_postcode", entity="ADDRESS", score=0.7, context=context.ADDRESS,
        regex=r"\b[A-CEGHJ-NPR-TVXY]\d[A-CEGHJ-NPR-TV-Z] \d[A-CEGHJ-NPR-TV-Z]\d\b",
    ),
    PatternSpec(  # 2000 NSW, NSW 2000, 6000 WA: an Australian postcode with its state
        name="au_postcode_state", entity="ADDRESS", score=0.75, context=context.ADDRESS,
        regex=r"\b(?:\d{4} (?:NSW|VIC|QLD|TAS|ACT|NT|WA|SA)|(?:NSW|VIC|QLD|TAS|ACT) \d{4})\b",
    ),
    PatternSpec(  # I'm in 3012 CN, bezorgen naar 1016 GV: a Dutch postcode after a place word
        name="nl_postcode_after_place", entity="ADDRESS", score=0.7, group=1, validator="nl_postcode",
        regex=r"\b(?:in|near|to|at|from|naar|bij|uit|te|op)\s+([1-9]\d{3} ?[A-Z]{2})\b",
    ),
    PatternSpec(  # 10115 Berlin, 13-990 Sanok, 1012 AB Amsterdam, Bengaluru 560001, Kota - 829532: an address
        # word a few lines above (Billing address:) makes them an address
        name="postcode_city", entity="ADDRESS", score=0.85, validator="postcode_in_address",
        regex=r"\b(?:\d{5}(?:-\d{3})?|\d{2}-\d{3}|\d{4} ?[A-Z]{2}) " + _CITY + r"|\b" + _CITY
              + r" ?[-–]? ?(?:[1-9]\d{5}|\d{5})\b",
    ),
)
