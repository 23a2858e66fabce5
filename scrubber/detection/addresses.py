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
    "Ways|Ganj|Marg|Chowk|Nagar|Zila|Cross|Colony|Layout|Enclave|Vihar|Puram|Bagh|Gali|Peth|Wadi"
)
#: Indian and US streets named by an ordinal alone: 12th Cross, 4th Main, 2nd Stage, 5th Avenue
STREET_ORDINAL = "Cross|Main|Street|St|Road|Rd|Avenue|Ave|Block|Stage|Phase|Sector|Lane|Floor"
#: German, Austrian, Swiss and Dutch street types, as suffixes of one word (Hauptstraße, Keizersgracht)
STREET_SUFFIX = (
    "stra(?:ß|ss)e|str\\.|weg|ring|allee|platz|gasse|damm|ufer|chaussee|steig|pfad|markt|graben|berg|"
    "straat|laan|plein|gracht|kade|singel|dijk|steeg|dreef|hof"
)
#: the same as separate capitalised words (Berliner Straße 12, Karl-Marx-Allee 3)
STREET_WORD_DE_NL = (
    "Stra(?:ß|ss)e|Str\\.|Weg|Ring|Allee|Platz|Gasse|Damm|Ufer|Chaussee|Steig|Pfad|Markt|Graben|"
    "Straat|Laan|Plein|Gracht|Kade|Singel|Dijk|Weg"
)
#: French, Spanish, Portuguese, Italian types, written before the name
STREET_TYPE_FIRST = (
    "rue|avenue|av\\.|boulevard|bd|chemin|place|impasse|allée|quai|route|cours|passage|square|"
    "calle|c/|avenida|avda\\.?|paseo|plaza|carrera|camino|ronda|callejón|cuesta|vía|pasaje|rambla|"
    "travesía|glorieta|carretera|alameda|rua|r\\.|travessa|praça|largo|estrada|rodovia|"
    "via|viale|piazza|piazzale|corso|vicolo|strada|contrada|lungomare|"
    "Rue|Avenue|Boulevard|Chemin|Place|Impasse|Allée|Quai|Route|Calle|Avenida|Avda\\.?|Paseo|Plaza|"
    "Carrera|Camino|Ronda|Rambla|Carretera|Alameda|Rua|Travessa|Praça|Largo|Estrada|Rodovia|Via|Viale|"
    "Piazza|Piazzale|Corso|Vicolo|Strada|Lungomare"
)
PARTICLES = (
    "de|del|de la|de los|de las|da|das|do|dos|di|dei|degli|della|delle|dello|la|las|los|le|les|l'|d'|du|des|"
    "van|der|den|het|am|an|zum|zur|im|auf|of|the"
)
CAP = "[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'\\-]+"
CAP_DE = "[A-ZÄÖÜ][a-zäöüß]+"
HOUSE_NO = "\\d{1,5}(?:[A-Za-z]|[-/]\\d{1,4}[A-Za-z]?)?"
UNIT = (
    "(?:Apt\\.?|Apartment|Suite|Ste\\.?|Unit|Flat|Floor|Fl\\.|Room|Rm\\.?|#|Wohnung|Whg\\.?|Etage|Stock|"
    "Appartement|Appt\\.?|Bât(?:iment)?\\.?|Escalier|Esc\\.|Piso|Puerta|Planta|Andar|Apto\\.?|Sala|Bloco|"
    "Interno|Int\\.|Scala|Piano|Building|Bldg\\.?|Tower|Wing)"
)
US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|"
    "ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI"
)
UK_POSTCODE = "(?:[A-Z]{1,2}\\d[A-Z\\d]?|GIR) ?\\d[ABD-HJLNP-UW-Z]{2}"
COUNTRIES = (
    "Germany|Deutschland|France|India|Bharat|Brasil|Brazil|USA|U\\.S\\.A\\.|United States(?: of America)?|UK|"
    "United Kingdom|England|Scotland|Wales|Ireland|España|Spain|Italia|Italy|Nederland|Netherlands|"
    "The Netherlands|Belgium|Belgique|België|Portugal|México|Mexico|Austria|Österreich|Switzerland|Schweiz|"
    "Suisse|Canada|Australia|Nigeria|South Africa|China|Japan|Türkiye|Turkey|UAE|United Arab Emirates"
)

# -- the block grower -------------------------------------------------------------------------

_GAP = re.compile(r"[ \t]*[,;]?[ \t]*(?:\r?\n[ \t]*)?")
_CITY = f"{CAP}(?:[ \\-](?:(?:{PARTICLES}) )?{CAP}){{0,2}}"
_TAILS = re.compile(
    "|".join((
        f"{UNIT}\\s*(?:No\\.?\\s*)?[A-Z0-9][A-Z0-9\\-/]{{0,5}}(?:,? (?:{UNIT})\\s*[A-Z0-9]{{1,4}})?",
        f"\\d{{1,2}}(?:º|°|ª|\\.)? ?(?:[A-Z]|izq\\.?|dcha\\.?|Dto\\.?|Esq\\.?)\\b",  # 3º B, 2ª izq.
        f"(?:[A-Z]{{1,2}}-)?\\d{{4,5}}(?:-\\d{{3}})? {_CITY}(?: \\(?[A-Z]{{2}}\\)?)?",  # 10115 Berlin, 01310-100 São Paulo
        f"\\d{{4}} ?[A-Z]{{2}} {_CITY}",  # 1012 AB Amsterdam
        f"{_CITY},? (?:{US_STATES}) \\d{{5}}(?:-\\d{{4}})?",  # Springfield, IL 62704-1234
        f"{_CITY},? (?:{US_STATES}|{_CITY})(?=\\s*(?:$|\\n))",  # Austin, TX / Dublin, Leinster at a line end
        f"{_CITY}(?: {UK_POSTCODE}|\\s*[-–,]?\\s*[1-9]\\d{{2}} ?\\d{{3}}\\b|,? \\d{{5}}(?:-\\d{{3,4}})?\\b)",
        f"{UK_POSTCODE}\\b",
        "(?:PIN|Pin ?code|PIN ?code|CEP|PLZ|CP|C\\.P\\.|CAP|ZIP)[:.]?\\s*\\d{3}[ \\-]?\\d{2,3}\\b",
        "[1-9]\\d{5}\\b|\\d{5}(?:-\\d{3,4})?\\b",  # a postcode alone: IN PIN, 5-digit, CEP, ZIP+4
        f"(?:{COUNTRIES})\\b",
        f"{_CITY}(?=[ \\t]*(?:$|\\r?\\n|,[ \\t]*(?:{COUNTRIES}|\\d{{4,6}}\\b|$|\\r?\\n)))",  # a city alone at the end
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
    f"(?:{UNIT}\\s*)?(?:No\\.?\\s*)?{HOUSE_NO}),[ \\t]*(?:\\r?\\n[ \\t]*)?$"
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
    head = text[max(0, start - 48):start]
    b = _BEFORE.search(head)
    if b is not None:
        start -= len(head) - b.start()
    return start, end
