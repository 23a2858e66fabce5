"""Postal addresses of many countries: street lines found by pattern, then grown into a block.

The pattern rows (built from the street types below, see `builtin.py`) find an anchor:
a street line with its house number, before (`221B Baker Street`, `12, rue de la Paix`)
or after the name (`Hauptstraße 5`, `Via Roma 12`, `Rua das Flores, 123`), an Indian
comma-separated line ending in a PIN, a US `City, ST 12345-6789`, a UK postcode.
`extend` then grows each anchor over the parts that belong to it, forwards and over
line breaks: `Apt.`/`Suite`/`Flat`/`Wohnung` parts, postcode and city in either order,
a city alone at the end of a line, a country name. So the postcode never stays behind
when the street is found. A structured parser was considered: libpostal (the only
multi-country one on PyPI, `postal`) needs a 2 GB model download, and `usaddress`
parses US layouts only.
"""

from __future__ import annotations

import re

# -- street types per country, as data ------------------------------------------------------

STREET_EN = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Square|Sq|"
    "Terrace|Crescent|Close|Gardens|Park|Parkway|Pkwy|Crossing|Orchard|Hill|Hills|Mews|Row|Grove|"
    "Circle|Cir|Trail|Heights|Ridge|Loop|Pike|Highway|Hwy|Meadow|Meadows|Green|Walk|Wharf|Causeway|"
    "Spur|Burg|Burgs|Mountain|Mountains|Valley|View|Village|Villages|Union|Unions|Point|Points|Port|"
    "Plaza|Route|Rue|Fort|Island|Lake|Lakes|Landing|Manor|Mill|Mills|Station|Summit|Turnpike|Vista|"
    "Shoal|Shoals|Stream|Center|Centre|Mall|Ford|Fords|Forge|Forges|Glen|Glens|Harbor|Harbour|Haven|"
    "Junction|Key|Keys|Knoll|Knolls|Neck|Oval|Pass|Path|Pines|Prairie|Ramp|Ranch|Rapids|Rest|Shore|"
    "Shores|Skyway|Springs|Squares|Track|Trafficway|Tunnel|Underpass|Ville|Well|Wells|Estate|"
    "Estates|Expressway|Extension|Falls|Ferry|Field|Fields|Flat|Flats|Freeway|Garden|Gateway|Creek|"
    "Crest|Curve|Dale|Dam|Divide|Bypass|Camp|Canyon|Cape|Cliff|Cliffs|Club|Common|Commons|Corner|"
    "Corners|Course|Courts|Cove|Coves|Bridge|Brook|Brooks|Bluff|Bluffs|Bottom|Branch|Alley|Annex|Arcade|"
    "Beach|Bend|Isle|Light|Lights|Lock|Locks|Lodge|Motorway|Mount|Overpass|Parks|Plain|Plains|Radial|"
    "Ways|Hollow|Fork|Forest|Inlet|Pine|Rapid|River|Stravenue|Throughway|Viaduct|Crossroad|Passage|"
    "Ganj|Marg|Chowk|Nagar|Zila|Cross|Colony|Layout|Enclave|Vihar|Puram|Bagh|Gali|Peth|Wadi"
)
#: Indian and US streets named by an ordinal alone: 12th Cross, 4th Main, 2nd Stage, 5th Avenue
STREET_ORDINAL = "Cross|Main|Street|St|Road|Rd|Avenue|Ave|Block|Stage|Phase|Sector|Lane|Floor"
#: German, Austrian, Swiss and Dutch street types, as suffixes of one word (Hauptstraße, Keizersgracht)
STREET_SUFFIX = (
    "stra(?:ß|ss)e|str\\.|weg|ring|allee|platz|gasse|damm|ufer|chaussee|steig|stieg|pfad|markt|graben|"
    "bogen|hain|anger|höhe|kamp|koppel|twiete|wall|zeile|siedlung|"
    "straat|laan|plein|gracht|kade|singel|dijk|steeg|dreef|hof|pad|baan|wal|plantsoen|erf|"
    # Swedish, Norwegian, Danish, Finnish (Drottninggatan 53, Storgata 12, Strandvejen 4, Mannerheimintie 9)
    "gatan|gata|gate|vägen|veien|vejen|vej|gade|katu|tie|gränd|torget|stræde"
)
#: the same as separate capitalised words (Berliner Straße 12, Karl-Marx-Allee 3)
STREET_WORD_DE_NL = (
    "Stra(?:ß|ss)e|Str\\.|Weg|Ring|Allee|Platz|Gasse|Damm|Ufer|Chaussee|Steig|Pfad|Markt|Graben|"
    "Straat|Laan|Plein|Gracht|Kade|Singel|Dijk|Weg"
)
_TYPE_FIRST_WORDS = (
    # fr
    "rue|avenue|av\\.|boulevard|bd|chemin|place|impasse|allée|quai|route|cours|passage|square|voie|sentier|"
    "faubourg|esplanade|montée|promenade|chaussée|résidence|"
    # es, mx, co
    "calle|c/|c\\.|cl\\.|avenida|avda\\.?|paseo|plaza|carrera|cra\\.|camino|ronda|callejón|cuesta|vía|pasaje|"
    "pje\\.|rambla|travesía|glorieta|carretera|alameda|calzada|andador|continuación|privada|circuito|cerrada|"
    "retorno|prolongación|periférico|diagonal|transversal|urbanización|peatonal|"
    # pt, br
    "rua|r\\.|travessa|tv\\.|praça|largo|estrada|rodovia|feira|vila|viela|quadra|ladeira|loteamento|"
    "conjunto|setor|residencial|condomínio|trecho|núcleo|vereda|jardim|recanto|esplanada|beco|calçada|caminho|"
    # it
    "via|viale|piazza|piazzale|corso|vicolo|strada|contrada|lungomare|borgo|rotonda|canale|incrocio|"
    "stretto|salita|traversa|località|loc\\.|"
    # pl
    "ulica|ul\\.|aleja|al\\.|plac|pl\\.|osiedle|os\\.|rondo|skwer|bulwar|"
    # ro
    "strada|bulevardul|bd\\.|calea|șoseaua|soseaua|aleea|piața|piata|splaiul|intrarea"
)
#: types that are street types in lower case too; the others ("via", "place", "route", "largo") are
#: ordinary words in lower case and count only capitalised
_SAFE_LOWER = (
    "rue|avenue|boulevard|chemin|impasse|allée|quai|calle|avenida|rua|travessa|praça|viale|piazza|vicolo|"
    "strada|ulica|ul\\.|aleja|al\\.|plac|pl\\.|osiedle|os\\.|calzada|callejón"
)
#: French, Spanish, Portuguese, Italian and Polish types, written before the name
STREET_TYPE_FIRST = _SAFE_LOWER + "|" + "|".join(
    w[0].upper() + w[1:] for w in _TYPE_FIRST_WORDS.split("|") if w[0].isalpha()
)
#: French types after a house number (12, rue de la Paix; 8 bis avenue Foch)
STREET_TYPE_FR = (
    "rue|avenue|boulevard|bd|chemin|place|impasse|allée|quai|route|cours|passage|square|voie|sentier|faubourg|"
    "esplanade|promenade|Rue|Avenue|Boulevard|Bd|Chemin|Place|Impasse|Allée|Quai|Route|Cours|Passage|Square|"
    "Voie|Sentier|Faubourg|Esplanade|Promenade"
)
PARTICLES = (
    "de|del|de la|de los|de las|da|das|do|dos|di|dei|degli|della|delle|dello|la|las|los|le|les|l'|d'|du|des|"
    "van|der|den|het|am|an|zum|zur|im|auf|of|the"
)
#: a capitalised word of a Latin script (Latin-1, Extended-A for Polish/Turkish/Czech, Vietnamese)
CAP = "[A-ZÀ-ÖØ-ÞĀ-ſ][A-Za-zÀ-ÖØ-öø-ÿĀ-ſḀ-ỿ'\\-]+"
CAP_DE = "[A-ZÄÖÜ][a-zäöüß]+"
HOUSE_NO = "\\d{1,5}(?:[A-Za-z]|[-/]\\d{1,4}[A-Za-z]?)?"
#: "et al. Smith 2019" is a citation, not a Polish avenue
_CITATION = re.compile(r"\bet\s*$")


def street_line(value: str, text: str, start: int, end: int) -> bool:
    return _CITATION.search(text[max(0, start - 4):start]) is None
UNIT = (
    "(?:Apt\\.?|Apartment|Suite|Ste\\.?|Unit|Flat|Floor|Fl\\.|Room|Rm\\.?|#|Wohnung|Whg\\.?|Etage|Stock|"
    "Appartement|Appt\\.?|Bât(?:iment)?\\.?|Escalier|Esc\\.|Piso|Puerta|Planta|Andar|Apto\\.?|Sala|Bloco|"
    "Interno|Int\\.|Scala|Piano|Building|Bldg\\.?|Tower|Wing|Studio|Interior|Edif\\.?|Edificio|Depto\\.?|"
    "Dpto\\.?|Departamento|Casa|Lote|Local|Oficina|Bloque|Portal|Escalera|Appartamento|App\\.|Lok\\.|lok\\.|"
    "Villa|Daire|Kat)"
)
#: a district / neighbourhood part of Latin American, Iberian and Turkish addresses
DISTRICT = "Col\\.|Colonia|Fracc\\.|Fraccionamiento|Bairro|Barrio|Urb\\.|Mah\\.|Mahallesi|Quartier"
#: Turkish streets: the type after the name, the number after `No:`
STREET_TR = "Caddesi|Cad\\.|Sokak|Sokağı|Sok\\.|Sk\\.|Bulvarı|Blv\\.|Mahallesi|Mah\\."
US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|"
    "ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI"
)
UK_POSTCODE = "(?:[A-Z]{1,2}\\d[A-Z\\d]?|GIR) ?\\d[ABD-HJLNP-UW-Z]{2}"
#: alone, without a street or city next to it, only with its space (A64FX is a CPU, SW1A 1AA a postcode)
#: Australian states and Canadian provinces, written before the postcode
AU_CA_REGIONS = "NSW|VIC|QLD|WA|SA|TAS|ACT|NT|ON|QC|BC|AB|MB|SK|NS|NB|NL|PE|YT|NU"
CA_POSTCODE = "[A-CEGHJ-NPR-TVXY]\\d[A-CEGHJ-NPR-TV-Z] ?\\d[A-CEGHJ-NPR-TV-Z]\\d"
EIRCODE = "[AC-FHKNPRTV-Y]\\d{2}(?:\\d|W)? ?[0-9AC-FHKNPRTV-Y]{4}"
UK_POSTCODE_SPACED = "(?:[A-Z]{1,2}\\d[A-Z\\d]?|GIR) \\d[ABD-HJLNP-UW-Z]{2}"
COUNTRIES = (
    "Germany|Deutschland|France|India|Bharat|Brasil|Brazil|USA|U\\.S\\.A\\.|United States(?: of America)?|UK|"
    "United Kingdom|England|Scotland|Wales|Ireland|España|Spain|Italia|Italy|Nederland|Netherlands|"
    "The Netherlands|Belgium|Belgique|België|Portugal|México|Mexico|Austria|Österreich|Switzerland|Schweiz|"
    "Suisse|Canada|Australia|Nigeria|South Africa|China|Japan|Türkiye|Turkey|UAE|United Arab Emirates"
)

# -- the block grower -------------------------------------------------------------------------

_GAP = re.compile(r"[ \t]*[,;\-–]?[ \t]*(?:\r?\n[ \t]*)?")
_CITY = f"(?:(?:{PARTICLES}) )?{CAP}(?:[ \\-](?:(?:{PARTICLES}) )?{CAP}){{0,2}}"
_TAILS = re.compile(
    "|".join((
        f"(?i:{UNIT})\\s*(?:No\\.?\\s*)?[A-Z0-9][A-Z0-9\\-/]{{0,5}}(?:,? (?i:{UNIT})\\s*[A-Z0-9]{{1,4}})?",
        f"(?:{DISTRICT}) {_CITY}",  # Col. Del Valle, Bairro Centro, Mahallesi
        "\\d{1,2}(?:º|°|ª|\\.)? ?(?:[A-Z]|izq\\.?|dcha\\.?|Dto\\.?|Esq\\.?)\\b",  # 3º B, 2ª izq.
        # 10115 Berlin, 01310-100 São Paulo, 13-990 Sanok
        f"(?:[A-Z]{{1,2}}-)?(?:\\d{{4,5}}(?:-\\d{{3}})?|\\d{{2}}-\\d{{3}}) {_CITY}(?: \\(?[A-Z]{{2}}\\)?)?",
        f"\\d{{4}} ?[A-Z]{{2}} {_CITY}",  # 1012 AB Amsterdam
        f"{_CITY},? (?:{US_STATES}) \\d{{5}}(?:-\\d{{4}})?",  # Springfield, IL 62704-1234
        f"{_CITY},? (?:{US_STATES}|{_CITY})(?=\\s*(?:$|\\n))",  # Austin, TX / Dublin, Leinster at a line end
        f"{_CITY}(?:,? {_CITY}){{0,2}}(?:,? (?:{US_STATES}) \\d{{5}}(?:-\\d{{4}})?| {UK_POSTCODE}|"
        f"\\s*[-–,]?\\s*(?:\\d{{3}} ?\\d{{3}}|\\d{{5}}(?:-\\d{{3,4}})?))\\b",  # Surrey GU12 4AB, Haryana 122001
        f"{UK_POSTCODE}\\b",
        # postcodes of other layouts, alone or after their city / state: Sydney NSW 2000, Toronto, ON M5V 3L9,
        # Dublin 2, D02 X285, Tokyo 105-0011 (〒), C1043AAZ CABA, São Paulo/SP
        f"(?:{_CITY},? )?(?:{AU_CA_REGIONS}) (?:\\d{{4}}|{CA_POSTCODE})\\b",
        f"(?:{_CITY},? )?(?:{CA_POSTCODE}|{EIRCODE}|〒?\\d{{3}}-\\d{{4}}|[A-Z]\\d{{4}}[A-Z]{{3}})\\b(?: {_CITY})?",
        f"{_CITY} \\d{{1,2}}\\b(?=[ \\t]*(?:,|$|\\r?\\n))",
        f"{_CITY}/[A-Z]{{2}}\\b",
        "(?:PIN|Pin ?code|PIN ?code|CEP|PLZ|CP|C\\.P\\.|CAP|ZIP)[:.]?\\s*\\d{3}[ \\-]?\\d{2,3}\\b",
        "\\d{6}\\b|\\d{5}(?:-\\d{3,4})?\\b|\\d{2}-\\d{3}\\b|\\d{4} ?[A-Z]{2}\\b|\\d{4}\\b",  # a postcode alone
        f"(?:{COUNTRIES})\\b",
        # a city, district or state alone: at a line end, or before the next part of the block
        f"{_CITY}(?=[ \\t]*(?:$|\\r?\\n|\\.(?:\\s|$)|[,\\-–][ \\t]*(?:{COUNTRIES}|\\d{{4,6}}\\b|{CAP}|$|\\r?\\n)))",
        # when in doubt the block goes on: a short part of capitalised words or numbers up to the next comma
        # or the line end ("Trade Centre 1, Dubai, United Arab Emirates")
        "[A-Z0-9ÀÖØ-ÞĀ-ſ][\\w'’\\-/#().]*(?: [A-Z0-9ÀÖØ-ÞĀ-ſ][\\w'’\\-/#().]*){0,4}(?=[ \\t]*(?:,|$|\\r?\\n))",
    ))
)
#: words that end a letter, never a city line
_NOT_A_CITY = re.compile(
    r"^(?:Thanks|Thank|Regards|Best|Cheers|Please|Dear|Hi|Hello|Hey|Yes|No|Ok|Okay|Sincerely|Kind|Warm|"
    r"Danke|Grüße|Gruß|Viele|Mit|Hallo|Merci|Cordialement|Bonjour|Salut|Gracias|Saludos|Hola|Atentamente|"
    r"Obrigado|Obrigada|Atenciosamente|Olá|Grazie|Saluti|Cordiali|Ciao|Bedankt|Groeten|Groet|Met|Dank|"
    r"Dhanyavad|Shukriya|Namaste|Call|Phone|Tel|Email|Mobile|Note|Order|The|This|That|It|We|I)\b"
)
#: a unit or care-of part just before the street line
_BEFORE = re.compile(
    f"(?:(?:{UNIT}|c/o|C/O|Attn\\.?)\\s*(?:No\\.?\\s*)?[A-Z0-9][A-Za-z0-9\\-/ ]{{0,30}}|"
    f"(?:{UNIT}\\s*)?(?:No\\.?\\s*)?{HOUSE_NO}|"
    # a street line of a type this table does not know, right before the postcode and city
    f"(?:{CAP} ){{1,4}}{HOUSE_NO}(?: (?i:{UNIT}) ?[A-Z0-9]{{1,5}})?),[ \\t]*(?:\\r?\\n[ \\t]*)?$"
)
_MAX_STEPS = 6


def extend(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the whole address block around the street line `text[start:end]`."""
    for _ in range(_MAX_STEPS):
        gap = _GAP.match(text, end)
        pos = gap.end() if gap else end
        if pos == end and end < len(text) and not text[end].isspace() and text[end] not in ",;":
            break
        m = _TAILS.match(text, pos)
        if m is None or m.end() == pos or _NOT_A_CITY.match(m.group()):
            break
        end = m.end()
    head = text[max(0, start - 64):start]
    # `_BEFORE` ends in a comma and blanks: without one the search over every start in `head` finds nothing
    b = _BEFORE.search(head) if head.rstrip(" \t\r\n").endswith(",") else None
    if b is not None and not glued_to_digits(text, start - (len(head) - b.start())):
        start -= len(head) - b.start()
    return start, end


_DIGITS_BEFORE = re.compile(r"[\d+][ \-./]?$")


def glued_to_digits(text: str, start: int) -> bool:
    """A house number that continues a longer digit group (the end of `0803 555 1234, 15 Awolowo Road`)
    is the tail of a phone number or an id, not the start of an address."""
    return _DIGITS_BEFORE.search(text[max(0, start - 2):start]) is not None


def address_line(value: str, text: str, start: int, end: int) -> bool:
    return not glued_to_digits(text, start)


# -- labelled form fields: "Street: ...", "PLZ: 10115", "City: Lake Sarahchester" ---------------

_STREET_LABELS = (
    "street(?: address)?|address(?: line ?\\d)?|home address|billing address|shipping address|"
    "delivery address|mailing address|straße|strasse|anschrift|adresse|wohnadresse|lieferadresse|rue|"
    "dirección|direccion|domicilio|endereço|endereco|indirizzo|adres|adresa|ulica"
)
_POSTCODE_LABELS = (
    "postcode|post code|postal code|zip|zip code|zipcode|plz|postleitzahl|code postal|código postal|"
    "codigo postal|cep|pin ?code|kod pocztowy|postnummer"
)
_CITY_LABELS = (
    "city|town|stadt|ort|wohnort|ville|ciudad|localidad|cidade|città|citta|comune|plaats|woonplaats|miasto|"
    "miejscowość"
)
#: group 1 is the value up to the end of the line; see `field_value`
FIELD_REGEX = (
    "\\b(" + _STREET_LABELS + "|" + _POSTCODE_LABELS + "|" + _CITY_LABELS + ")[\"']?(?:[ \\t]*:|[ \\t]+=)[ \\t]*[\"']?"
    "([^\\s\"'|;,:=<>{}\\[\\]][^\\n\\r\"|;,=\\t<>{}]{0,78}[^\\s\"'|;,=<>{}])?"
)
#: logfmt and query strings (`zip=30301 city=Atlanta`): after a bare `=` the value ends at the next
#: space unless it is quoted, so the next key is not taken for part of the value
FIELD_LOGFMT_REGEX = (
    "\\b(" + _STREET_LABELS + "|" + _POSTCODE_LABELS + "|" + _CITY_LABELS + ")=(\"[^\"\\n]{1,78}\"|"
    "[^\\s\"'|;,:=<>{}\\[\\]&]{1,60})"
)
#: a postcode after its word in a sentence, in EN, DE, FR, ES, PT, IT, NL and Hindi in Latin script:
#: "my zip is 94107", "PLZ 80331", "code postal c'est 69003", "CEP é 22041-001", "pincode 411001 hai".
#: The shapes of postcodes of many countries; the word is the evidence, so no checksum is needed.
POSTCODE_SHAPES = (
    "\\d{5}(?:-\\d{3,4})?|\\d{3}[ \\-]?\\d{2,4}|\\d{2}-\\d{3}|\\d{4}(?: ?[A-Z]{2})?|\\d{6}|"
    + UK_POSTCODE + "|" + CA_POSTCODE + "|" + EIRCODE + "|[A-Z]\\d{4}[A-Z]{3}"
)
POSTCODE_WORDS = (
    "(?i:post ?code|postal code|postcode|zip|zip ?code|zipcode|postleitzahl|code postal|código postal|"
    "codigo postal|pin ?code|pincode|postnummer|kod pocztowy|codice postale)|PLZ|Plz|CEP|Cep|CAP|PIN|Pin|CP|C\\.P\\."
)
POSTCODE_AFTER_WORD_REGEX = (
    "(?:^|[^\\w])(?:" + POSTCODE_WORDS + ")(?:[ \\t]+(?i:is|ist|lautet|est|c'est|c’est|es|é|e|è|hai|is de|was))?"
    "[ \\t]*[:#=]?[ \\t]*(" + POSTCODE_SHAPES + ")(?:[^\\w]|$)"
)
_LABEL_BEFORE = re.compile(
    "(?:^|[^\\w])(?:(ip|mac|e-?mail|server|listen|bind|remote|host|wallet|memory|base|return|web|proxy|"
    "contract|hardware|physical|local|peer|gateway|broadcast|network)[ _\\-])?(" + _STREET_LABELS + "|"
    + _POSTCODE_LABELS + "|" + _CITY_LABELS + ")[\"']?[ \\t]*[:=][ \\t]*[\"']?$",
    re.IGNORECASE,
)
_POSTCODE_LABEL = re.compile("^(?:" + _POSTCODE_LABELS + ")$", re.IGNORECASE)
_CITY_LABEL = re.compile("^(?:" + _CITY_LABELS + ")$", re.IGNORECASE)
_TECHNICAL = re.compile(
    r"://|^0x|^/|:\d|^[\d.:]+$|^\d{1,3}(?:\.\d{1,3}){3}|^\w+\(|'[,)]|^(?:true|false|null|none|n/a|-)$", re.IGNORECASE
)


def field_value(value: str, text: str, start: int, end: int) -> bool:
    """A value after an address label of a form: a postcode has digits, a city letters, a street both
    or several words. Technical look-alikes are refused: `ip address: ...`, `server address: host:4317`,
    `address: 0x7ffe...`, URLs and paths."""
    m = _LABEL_BEFORE.search(text[max(0, start - 48):start])
    if m is None or m.group(1):
        return False
    label = m.group(2)
    has_digit = any(ch.isdigit() for ch in value)
    has_alpha = any(ch.isalpha() for ch in value)
    if _POSTCODE_LABEL.match(label):
        return has_digit and 3 <= len(value) <= 10 and not any(ch in value for ch in ".:/")
    if _TECHNICAL.search(value):
        return False
    if _CITY_LABEL.match(label):
        return has_alpha and len(value.split()) <= 5
    return has_alpha and (has_digit or len(value.split()) >= 2)


_ADDRESS_WORDS = None


def postcode_in_address(value: str, text: str, start: int, end: int) -> bool:
    """A postcode with its city (`10115 Berlin`, `Kota - 829532`) alone is an address when an address
    word is within a few lines before it: blocks put the label (`Billing address:`) lines above."""
    global _ADDRESS_WORDS
    if _ADDRESS_WORDS is None:
        from scrubber.detection.context import ADDRESS, compile_words

        _ADDRESS_WORDS = compile_words(ADDRESS)
    return _ADDRESS_WORDS is not None and _ADDRESS_WORDS.search(text[max(0, start - 200):start])


#: letters after four digits that are units or times, not a Dutch postcode (`in 1000 MB`, `at 2000 PM`);
#: SA, SD and SS are never issued
_NOT_NL_LETTERS = frozenset("KB MB GB TB PB MS KM CM MM HZ AM PM SA SD SS".split())


def nl_postcode(value: str, text: str, start: int, end: int) -> bool:
    return value[-2:] not in _NOT_NL_LETTERS

