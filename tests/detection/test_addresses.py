"""Postal addresses of many layouts: the whole block is found, the postcode never stays behind."""

from __future__ import annotations

import pytest

from scrubber.detection import DetectionConfig, Detector


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector(DetectionConfig(ner={"enabled": False}))


def addresses(detector: Detector, text: str) -> list[str]:
    [found] = detector.detect([text], [False])
    return [text[f.start:f.end] for f in found if f.entity_type == "ADDRESS"]


FOUND = [
    # number after the street name, postcode before the city
    ("Ich wohne in der Hauptstraße 5, 10115 Berlin.", "Hauptstraße 5, 10115 Berlin"),
    ("Lieferadresse: Berliner Straße 12a, 60311 Frankfurt am Main", "Berliner Straße 12a, 60311 Frankfurt am Main"),
    ("lives at Alexa-Pergande-Ring 280 and", "Alexa-Pergande-Ring 280"),
    ("Indirizzo: Via Roma 12, 00184 Roma", "Via Roma 12, 00184 Roma"),
    ("Moro na Rua das Flores, 123, 01310-100 São Paulo", "Rua das Flores, 123, 01310-100 São Paulo"),
    ("envíe a Calle Mayor 5, 28013 Madrid", "Calle Mayor 5, 28013 Madrid"),
    ("Adres: Keizersgracht 123, 1015 CJ Amsterdam", "Keizersgracht 123, 1015 CJ Amsterdam"),
    ("J'habite au 12, rue de la Paix, 75008 Paris", "12, rue de la Paix, 75008 Paris"),
    ("Rue de la Loi 16, 1000 Bruxelles", "Rue de la Loi 16, 1000 Bruxelles"),
    # English layouts, units, ZIP+4, UK postcodes
    ("ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500-0003", "1600 Pennsylvania Avenue NW, Washington, DC 20500-0003"),
    ("123 Main Street, Apt. 4B, Springfield, IL 62704", "123 Main Street, Apt. 4B, Springfield, IL 62704"),
    ("Flat 2, 10 Downing Street, London SW1A 2AA", "Flat 2, 10 Downing Street, London SW1A 2AA"),
    ("post it to 221B Baker Street, London NW1 6XE please", "221B Baker Street, London NW1 6XE"),
    ("postcode SW1A 1AA", "SW1A 1AA"),
    # Indian addresses: PIN codes, Cross/Main, Flat lines
    ("Flat 4B, Sunshine Apartments, 12th Cross, MG Road, Bengaluru 560001",
     "Flat 4B, Sunshine Apartments, 12th Cross, MG Road, Bengaluru 560001"),
    ("mera pata: 42, Nehru Nagar, Mumbai - 400001", "42, Nehru Nagar, Mumbai - 400001"),
    # blocks over several lines
    ("Anschrift:\nHauptstraße 5\nWohnung 3\n10115 Berlin\nDeutschland", "Hauptstraße 5\nWohnung 3\n10115 Berlin\nDeutschland"),
    ("Address:\n742 Evergreen Terrace\nSpringfield, OR 97403\nUSA", "742 Evergreen Terrace\nSpringfield, OR 97403\nUSA"),
    # a postcode and city alone, after an address word (a few lines above counts)
    ("Meine Adresse ist 10115 Berlin", "10115 Berlin"),
    ("Billing address:\nJohn Smith\nKota - 829532", "Kota - 829532"),
    # labelled form fields
    ("Street: 842 Carla Mission\nPostcode: 19953\nCity: Lake Sarahchester", "19953"),
    ("Street: 842 Carla Mission\nPostcode: 19953\nCity: Lake Sarahchester", "Lake Sarahchester"),
    ("PLZ: 80331, Ort: München", "80331"),
    # Polish, Mexican, Portuguese layouts, PO boxes, chains of district / city / state
    ("ul. Marszałkowska 10/12, 00-590 Warszawa", "ul. Marszałkowska 10/12, 00-590 Warszawa"),
    ("Calzada Coahuila de Zaragoza 775 Interior 929, 24887 Campeche", "Calzada Coahuila de Zaragoza 775 Interior 929, 24887 Campeche"),
    ("Rua Augusta, 1500 - Consolação, São Paulo - SP, 01304-001", "Rua Augusta, 1500 - Consolação, São Paulo - SP, 01304-001"),
    ("PO Box 1234, Austin, TX 78701", "PO Box 1234, Austin, TX 78701"),
    ("Please ship it to 4 Privet Drive, Little Whinging, Surrey GU12 4AB", "4 Privet Drive, Little Whinging, Surrey GU12 4AB"),
    ("I live on Baker Street 221B in London", "Baker Street 221B"),
    ("C-45, Lajpat Nagar II, New Delhi - 110024", "C-45, Lajpat Nagar II, New Delhi - 110024"),
    ("moro na Av. Brasil, 1500, apto 42, Rio de Janeiro - RJ, 22290-030", "Av. Brasil, 1500, apto 42, Rio de Janeiro - RJ, 22290-030"),
    ("vivo en Av. Insurgentes Sur 1234, Col. Del Valle, 03100 CDMX", "Av. Insurgentes Sur 1234, Col. Del Valle, 03100 CDMX"),
    ("Thabo: 082 555 1234, 12 Long Street, Cape Town, 8001", "12 Long Street, Cape Town, 8001"),
    ("Bağdat Caddesi No: 45, Kadıköy, İstanbul 34710", "Bağdat Caddesi No: 45, Kadıköy, İstanbul 34710"),
    ("住所は〒100-0001 東京都千代田区千代田1-1", "〒100-0001 東京都千代田区千代田1-1"),
    ("Ship to 北京市海淀区中关村大街27号", "北京市海淀区中关村大街27号"),
    # a street of a type no table knows, told by its number, postcode and city
    ("Schicken Sie es an Unter den Linden 77, 10117 Berlin", "Unter den Linden 77, 10117 Berlin"),
    ("Damrak 1, 1012 LG Amsterdam", "Damrak 1, 1012 LG Amsterdam"),
    ("a Peatonal Cortés 609 Interior 571, 84439 Los Bajos.", "Peatonal Cortés 609 Interior 571, 84439 Los Bajos"),
]

UNTOUCHED = [
    "we use a 3 Way handshake and 2 Phase commit",
    "the Frankfurt region is down, Mumbai on-call paged",
    "took 10000 Users to break it; 8080 Port open",
    "Hauptstraße is closed",
    "firmware 3.1.86.2 on build 10.0.19041.1",
    "version v2.4.0.1 released 2024-01-15",
    "Severity One incident in us-east-1",
    "Smith et al. Nature 2019",
    "ARM A64FX, Neoverse N1",
    "snicaddr(family=<AddressFamily.AF_INET: 2>, address='192.168.1.3', netmask='255.255.255.0')",
    "ip address: 10.0.0.5, server address: api.internal:4317",
    "state: CLOSED, city: null",
    "sent 3 via Email 5 times",
]


@pytest.mark.parametrize("text,expected", FOUND, ids=[c[1][:40] for c in FOUND])
def test_address_block_found(det: Detector, text: str, expected: str) -> None:
    assert expected in addresses(det, text)


@pytest.mark.parametrize("text", UNTOUCHED, ids=[t[:30] for t in UNTOUCHED])
def test_address_look_alikes_stay(det: Detector, text: str) -> None:
    assert addresses(det, text) == []


def test_a_phone_before_the_street_is_not_its_house_number(det: Detector) -> None:
    text = "Contact Chinedu on 0803 555 1234, 15 Awolowo Road, Ikoyi, Lagos."
    assert addresses(det, text) == ["15 Awolowo Road, Ikoyi, Lagos"]


def test_block_ends_before_a_closing_line(det: Detector) -> None:
    text = "Hauptstraße 5\n10115 Berlin\nThanks, Anna"
    assert addresses(det, text) == ["Hauptstraße 5\n10115 Berlin"]


# postcodes of more layouts stay with their block, and a block runs on over short capitalised parts
MORE_LAYOUTS = [
    ("Ship to 88 George Street, Sydney NSW 2000, Australia", "Sydney NSW 2000, Australia"),
    ("Send to 120 King Street West, Toronto, ON M5V 3L9, Canada", "ON M5V 3L9"),
    ("Address: 12 Merrion Square, Dublin 2, D02 X285", "D02 X285"),
    ("Address: 4-2-8 Shibakoen, Minato City, Tokyo 105-0011, Japan", "Tokyo 105-0011"),
    ("Endereço: Avenida Paulista 1000, Bela Vista, São Paulo/SP, CEP 01310-100", "São Paulo/SP"),
    ("Address: Sheikh Zayed Road, Trade Centre 1, Dubai, United Arab Emirates", "Trade Centre 1, Dubai"),
    ("Calle 93 #13-45, Bogotá", "Calle 93 #13-45, Bogotá"),
    ("Str. Lipscani 20, București 030031", "Str. Lipscani 20, București 030031"),
]


@pytest.mark.parametrize("text,piece", MORE_LAYOUTS, ids=[t[:30] for t, _ in MORE_LAYOUTS])
def test_more_layouts_leave_nothing_behind(text: str, piece: str) -> None:
    from scrubber.detection import Detector

    [found] = Detector().detect([text], [False])
    start = text.index(piece)
    covered = {i for f in found for i in range(f.start, f.end)}
    assert all(i in covered for i in range(start, start + len(piece)) if not text[i].isspace()), (text, found)
