"""A second record corpus, written independently of ``tasman.synth``, so a linking benchmark
cannot be tuned to one generator's habits.

    PYTHONPATH=src python bench/corpus2.py OUT [--records 3000] [--seed 1]

It imagines a different case: a marketplace's order export and its forum's member register
(Latin America, Southeast Asia, Africa, Eastern Europe; 23 countries), an undercover unit's chat
export, a hotline's reports in the CyberTipline XML, and a remittance company's transfers. Its
conventions are its own: column names that Tasman does not guess (each table comes with its
mapping YAML, imported with ``tasman records import FILE --kind KIND --map FILE.yaml``), its own
name lists (made up but plausible, benign) with gendered and compound surnames, family-first
names, single names and patronymics, its own transliterations (Ukrainian two ways, Serbian
Cyrillic or Latin, Romanian cedillas), its own typo model, phone numbers written with trunk
prefixes, brackets and 00, dates as DD/MM/YYYY, MM/DD/YYYY and YYYYMMDD, handles built its own
way on its own platforms, and screen names reused across platforms in other letter cases.

Every identifier is made up: IPs in documentation ranges, phone numbers drawn at random within
valid national ranges, email local parts built from the made-up names. Nothing is fetched.

Files written under OUT (source -> kind; the tables with a ``<file>.yaml`` mapping beside them):

- ``ventas_tienda.csv``      customers  (semicolons, "N° Pedido", "Cliente", day-first dates)
- ``foro_miembros.tsv``      customers  (a forum's members: username, e-mail, month-first birthdays)
- ``chat_export.jsonl``      chats      (the generic JSONL chat format; a session may continue on a later line)
- ``hotline_reports.xml``    tips       (CyberTipline-style XML; a screen name with or without its service;
                                          some with the analyst's note quoting what the user told the child)
- ``remesas.csv``            transactions (remitter / beneficiary columns, YYYYMMDD dates)
- ``answer_key.csv``         the truth: file, record, party, person, person_country
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import phonenumbers

# ---- the world: locales, countries, names ----------------------------------------------------

# locale -> (male given names, female given names, family names); family names with a "/" are
# gendered (male/female). Made-up-but-plausible, benign, common-looking names.
NAMELISTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "es": (("Luis", "Carlos", "Jorge", "Andrés", "Diego", "Javier", "Ricardo", "Miguel", "Eduardo", "Rodrigo",
            "Héctor", "Raúl", "Sergio", "Iván"),
           ("Alejandra", "Camila", "Valentina", "Daniela", "Mariana", "Gabriela", "Sofía", "Fernanda", "Paola",
            "Ximena", "Lorena", "Adriana", "Verónica", "Natalia"),
           ("Hernández", "González", "Rodríguez", "Martínez", "López", "Pérez", "Sánchez", "Ramírez", "Torres",
            "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Gutiérrez", "Ortiz", "Chávez",
            "Ramos", "Vargas", "Castillo", "Rojas", "Medina", "Aguilar", "Salazar", "Quispe", "Huamán")),
    "pt": (("João", "Pedro", "Lucas", "Gabriel", "Rafael", "Thiago", "Bruno", "Felipe", "Gustavo", "Vinícius"),
           ("Ana", "Beatriz", "Larissa", "Juliana", "Fernanda", "Camila", "Letícia", "Mariana", "Aline", "Tatiane"),
           ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira", "Costa", "Rodrigues", "Almeida",
            "Nascimento", "Carvalho", "Araújo", "Ribeiro", "Gomes", "Barbosa", "Rocha", "Teixeira")),
    "fil": (("Mark", "Jerome", "Jericho", "Jayson", "Rodel", "Rommel", "Jonel", "Arnel", "Ariel", "Joel"),
            ("Rowena", "Maricel", "Lovely", "Princess", "Analyn", "Cherry", "Mylene", "Kristine", "Jonalyn",
             "Mary Joy"),
            ("dela Cruz", "Santos", "Bautista", "Ocampo", "Villanueva", "Aquino", "Navarro", "Soriano", "Dizon",
             "Manalo", "Pascual", "Salvador", "Tolentino", "Mercado", "Macaraeg", "Cabrera", "delos Reyes")),
    "vi": (("Văn An", "Minh Tuấn", "Quốc Bảo", "Đức Anh", "Hữu Phước", "Văn Hùng", "Thành Long", "Quang Huy"),
           ("Thị Lan", "Thị Hoa", "Thanh Hương", "Ngọc Mai", "Thu Trang", "Thị Hằng", "Bích Ngọc", "Kim Oanh"),
           ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô")),
    "id": (("Budi", "Agus", "Rizky", "Eko", "Wahyu", "Adi", "Hendra", "Dedi", "Fajar", "Yusuf"),
           ("Siti", "Dewi", "Putri", "Fitri", "Dian", "Indah", "Nur", "Ratna", "Wulan", "Ayu"),
           ("Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Setiawan", "Nugroho", "Lestari",
            "Permana", "Halim", "Gunawan", "Susanto", "Hartono")),
    "th": (("Somchai", "Niran", "Prasert", "Anan", "Chaiwat", "Kittisak", "Surachai", "Thanakorn"),
           ("Supaporn", "Kanya", "Malee", "Pimchanok", "Siriporn", "Wanida", "Ratchanee", "Duangjai"),
           ("Srisuk", "Chaiyaporn", "Wongsawat", "Rattanakul", "Sukprasert", "Thongchai", "Kaewmanee", "Boonmee",
            "Phromsiri", "Jaidee", "Saetang", "Charoenrat", "Phanthong")),
    "ms": (("Ahmad", "Muhammad", "Hafiz", "Amir", "Faiz", "Irfan", "Syafiq", "Azlan"),
           ("Nurul", "Siti", "Farah", "Aisyah", "Nabila", "Hidayah", "Liyana", "Syazwani"),
           ("Ismail", "Abdullah", "Hassan", "Yusof", "Rahman", "Osman", "Hamid", "Salleh", "Aziz", "Ibrahim")),
    "ng": (("Chinedu", "Emeka", "Tunde", "Ibrahim", "Obinna", "Segun", "Chukwuemeka", "Musa", "Kelechi"),
           ("Ngozi", "Adaeze", "Folake", "Aisha", "Yetunde", "Halima", "Amaka", "Chioma", "Funke"),
           ("Okonkwo", "Adeyemi", "Eze", "Balogun", "Nwosu", "Abubakar", "Ogunleye", "Chukwu", "Adebayo",
            "Olawale", "Nnamdi", "Uche", "Okeke", "Bello")),
    "sw": (("Kamau", "Otieno", "Mwangi", "Kiprono", "Baraka", "Juma", "Amani", "Wekesa", "Onyango"),
           ("Wanjiru", "Achieng", "Njeri", "Akinyi", "Zawadi", "Neema", "Imani", "Wairimu", "Chebet"),
           ("Kariuki", "Wafula", "Kiprotich", "Njoroge", "Omondi", "Mutua", "Wambui", "Mushi", "Massawe", "Mrema",
            "Swai", "Odhiambo", "Kimani", "Barasa")),
    "gh": (("Kwame", "Kofi", "Yaw", "Kojo", "Kwabena", "Kwaku", "Kwesi", "Fiifi"),
           ("Ama", "Akosua", "Abena", "Efua", "Adwoa", "Esi", "Afia", "Akua"),
           ("Mensah", "Boateng", "Asante", "Owusu", "Osei", "Appiah", "Agyeman", "Darko", "Ofori", "Addo", "Amoah",
            "Quaye", "Tetteh")),
    "za": (("Thabo", "Sipho", "Pieter", "Themba", "Johan", "Bongani", "Lwazi", "Kagiso"),
           ("Lerato", "Nomvula", "Annelie", "Zanele", "Palesa", "Lindiwe", "Thandeka", "Marelize"),
           ("Nkosi", "Dlamini", "Mokoena", "van der Merwe", "Botha", "Ndlovu", "Khumalo", "Mahlangu", "Pretorius",
            "Molefe", "Naidoo", "Sithole")),
    "pl": (("Wojciech", "Bartosz", "Kamil", "Mateusz", "Jakub", "Szymon", "Dawid", "Przemysław"),
           ("Zuzanna", "Aleksandra", "Natalia", "Weronika", "Dominika", "Patrycja", "Karolina", "Marta"),
           ("Nowicki/Nowicka", "Górski/Górska", "Sikora", "Baran", "Ostrowski/Ostrowska", "Majewski/Majewska",
            "Rutkowski/Rutkowska", "Pietrzak", "Adamczyk", "Dudek", "Sadowski/Sadowska", "Zalewski/Zalewska",
            "Kowalski/Kowalska")),
    "ro": (("Andrei", "Mihai", "Ionuț", "Florin", "Bogdan", "Cosmin", "Răzvan", "Ștefan"),
           ("Ioana", "Elena", "Andreea", "Cristina", "Mihaela", "Alina", "Roxana", "Simona"),
           ("Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica", "Gheorghe", "Rusu", "Munteanu", "Matei",
            "Constantin", "Marin", "Dumitrescu", "Țurcanu")),
    "uk": (("Олександр", "Андрій", "Сергій", "Богдан", "Тарас", "Віталій", "Юрій", "Дмитро"),
           ("Оксана", "Ірина", "Наталія", "Олена", "Юлія", "Світлана", "Галина", "Тетяна"),
           ("Шевченко", "Бондаренко", "Ковальчук", "Ткаченко", "Кравченко", "Олійник", "Мельник", "Лисенко",
            "Руденко", "Савченко", "Петренко", "Марченко", "Гнатюк")),
    "cs": (("Jiří", "Petr", "Jan", "Tomáš", "Martin", "Lukáš", "Ondřej", "Vojtěch"),
           ("Jana", "Petra", "Lucie", "Tereza", "Hana", "Kateřina", "Veronika", "Markéta"),
           ("Dvořák/Dvořáková", "Černý/Černá", "Procházka/Procházková", "Kučera/Kučerová", "Veselý/Veselá",
            "Horák/Horáková", "Marek/Marková", "Pokorný/Pokorná", "Krejčí/Krejčí", "Beneš/Benešová")),
    "hu": (("László", "Zoltán", "Gábor", "Péter", "Balázs", "Attila", "Csaba", "Tamás"),
           ("Eszter", "Katalin", "Zsófia", "Anikó", "Krisztina", "Ildikó", "Réka", "Judit"),
           ("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár", "Németh", "Farkas", "Balogh",
            "Papp", "Takács")),
    "sr": (("Nikola", "Marko", "Stefan", "Miloš", "Nemanja", "Dušan", "Vladimir", "Aleksandar"),
           ("Jelena", "Milica", "Ivana", "Marija", "Jovana", "Dragana", "Tijana", "Snežana"),
           ("Jovanović", "Petrović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić", "Stanković",
            "Pavlović", "Popović", "Živković", "Todorović")),
}

# locale -> surname endings for the long tail (a stem of syllables + an ending): real populations
# have many more family names than any short list, and a short list alone would make namesakes in
# one town far likelier than they are
TAIL_ENDINGS: dict[str, tuple[str, ...]] = {
    "es": ("ez", "ero", "ado", "illo", "ón", "eda"), "pt": ("eira", "ado", "inho", "es", "ão"),
    "fil": ("ng", "an", "ez", "o", "ino"), "vi": (), "id": ("wan", "jaya", "to", "di", "ono"),
    "th": ("wong", "sri", "chai", "porn", "kul"), "ms": ("din", "man", "lah", "im"),
    "ng": ("ola", "emi", "ke", "nna", "wu"), "sw": ("ango", "eri", "uti", "ai", "onde"),
    "gh": ("ah", "ey", "o", "ful", "ie"), "za": ("ala", "ane", "ni", "se", "ter"),
    "pl": ("ski/ska", "czyk", "ak", "iak", "owicz"), "ro": ("escu", "eanu", "aru", "ache"),
    "uk": ("енко", "чук", "ук", "ишин"), "cs": ("ák/áková", "ek/ková", "ík/íková", "ý/á"),
    "hu": ("i", "ös", "ai", "as"), "sr": ("ović", "ić", "ević", "ski"),
}
SYLL_LATIN = ("ba", "ka", "ma", "ra", "sa", "ta", "na", "lo", "mo", "ro", "to", "ne", "le", "ve", "di", "mi", "ri",
              "ku", "tu", "gu", "bo", "da", "ha", "ji", "ko", "ya", "we", "zu", "po", "fe")
SYLL_CYR = ("ба", "ка", "ма", "ра", "са", "та", "на", "ло", "мо", "ро", "ко", "ле", "ві", "ди", "ми", "гу", "по", "ду")

FAMILY_FIRST = frozenset({"vi", "hu"})
CYRILLIC = frozenset({"uk"})


@dataclass(frozen=True)
class Land:
    code: str
    locale: str
    cities: tuple[str, ...]
    written: tuple[str, ...]   # how exports write the country besides its code
    currency: str
    providers: tuple[str, ...]  # national mail providers


LANDS: tuple[Land, ...] = (
    Land("MX", "es", ("Ciudad de México", "Guadalajara", "Monterrey", "Puebla", "Toluca"), ("MEX", "México"), "MXN",
         ("prodigy.net.mx",)),
    Land("CO", "es", ("Bogotá", "Medellín", "Cali", "Barranquilla", "Bucaramanga"), ("COL", "Colombia"), "COP",
         ("une.net.co",)),
    Land("PE", "es", ("Lima", "Arequipa", "Trujillo", "Cusco", "Chiclayo"), ("PER", "Perú"), "PEN", ()),
    Land("AR", "es", ("Buenos Aires", "Córdoba", "Rosario", "Mendoza", "La Plata"), ("ARG", "Argentina"), "ARS",
         ("fibertel.com.ar", "arnet.com.ar")),
    Land("CL", "es", ("Santiago", "Valparaíso", "Concepción", "Antofagasta", "Temuco"), ("CHL", "Chile"), "CLP", ()),
    Land("EC", "es", ("Quito", "Guayaquil", "Cuenca", "Ambato", "Manta"), ("ECU", "Ecuador"), "USD", ()),
    Land("BR", "pt", ("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Recife", "Curitiba", "Fortaleza"),
         ("BRA", "Brasil"), "BRL", ("uol.com.br", "bol.com.br", "terra.com.br")),
    Land("PH", "fil", ("Quezon City", "Cebu City", "Davao City", "Manila", "Iloilo City", "Bacolod"),
         ("PHL", "Philippines"), "PHP", ("yahoo.com.ph",)),
    Land("VN", "vi", ("Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ"), ("VNM", "Vietnam"), "VND",
         ("vnn.vn",)),
    Land("ID", "id", ("Jakarta", "Surabaya", "Bandung", "Medan", "Semarang", "Makassar"), ("IDN", "Indonesia"),
         "IDR", ("yahoo.co.id",)),
    Land("TH", "th", ("Bangkok", "Chiang Mai", "Khon Kaen", "Hat Yai", "Udon Thani"), ("THA", "Thailand"), "THB", ()),
    Land("MY", "ms", ("Kuala Lumpur", "George Town", "Johor Bahru", "Ipoh", "Kota Kinabalu"), ("MYS", "Malaysia"),
         "MYR", ()),
    Land("NG", "ng", ("Lagos", "Ibadan", "Abuja", "Enugu", "Port Harcourt", "Kano"), ("NGA", "Nigeria"), "NGN", ()),
    Land("KE", "sw", ("Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret"), ("KEN", "Kenya"), "KES", ()),
    Land("TZ", "sw", ("Dar es Salaam", "Arusha", "Mwanza", "Dodoma", "Moshi"), ("TZA", "Tanzania"), "TZS", ()),
    Land("GH", "gh", ("Accra", "Kumasi", "Tamale", "Takoradi", "Cape Coast"), ("GHA", "Ghana"), "GHS", ()),
    Land("ZA", "za", ("Johannesburg", "Cape Town", "Durban", "Pretoria", "Bloemfontein"), ("ZAF", "South Africa"),
         "ZAR", ("telkomsa.net",)),
    Land("PL", "pl", ("Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Lublin"), ("POL", "Polska"), "PLN",
         ("wp.pl", "o2.pl", "interia.pl")),
    Land("RO", "ro", ("București", "Cluj-Napoca", "Iași", "Timișoara", "Constanța"), ("ROU", "România"), "RON",
         ("yahoo.ro",)),
    Land("UA", "uk", ("Київ", "Харків", "Одеса", "Дніпро", "Львів"), ("UKR", "Ukraine"), "UAH", ("ukr.net", "i.ua")),
    Land("CZ", "cs", ("Praha", "Brno", "Ostrava", "Plzeň", "Olomouc"), ("CZE", "Czechia"), "CZK",
         ("seznam.cz", "centrum.cz")),
    Land("HU", "hu", ("Budapest", "Debrecen", "Szeged", "Miskolc", "Pécs"), ("HUN", "Magyarország"), "HUF",
         ("freemail.hu", "citromail.hu")),
    Land("RS", "sr", ("Beograd", "Novi Sad", "Niš", "Kragujevac", "Subotica"), ("SRB", "Srbija"), "RSD", ("eunet.rs",)),
)
BY_CODE = {land.code: land for land in LANDS}
GENERIC_MAIL = ("mailbox.example", "correo.example", "posta.example", "inbox.example.net", "webmail.example.org")
# the platforms of this world: the marketplace's own messages, its forum, chat rooms, messengers
MARKET, FORUM = "tianguis market", "foro tianguis"
MESSENGERS = ("viber", "line", "zalo", "imo", "signal", "vk", "tiktok")
ROOMS = ("sala general", "chatroom lobby", "market chat")
WORDS = ("sol", "luna", "tigre", "mango", "cometa", "rayo", "nube", "volcan", "bamboo", "kite", "pepper", "lotus",
         "zebra", "cobalt", "coral", "sparrow")


# ---- writing habits -----------------------------------------------------------------------

_UK_OFFICIAL = dict(zip("абвгґдежзиіїйклмнопрстуфхцчшщьюяє'",
                        ["a", "b", "v", "h", "g", "d", "e", "zh", "z", "y", "i", "i", "i", "k", "l", "m", "n", "o",
                         "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia", "ie", ""],
                        strict=True))
_UK_GERMAN = {**_UK_OFFICIAL, "ж": "sch", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch",
              "в": "w", "ю": "ju", "я": "ja", "є": "je", "и": "y", "г": "h", "й": "j", "з": "s"}
_SR_CYR = {"lj": "љ", "nj": "њ", "dž": "џ", "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "đ": "ђ", "e": "е",
           "ž": "ж", "z": "з", "i": "и", "j": "ј", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
           "r": "р", "s": "с", "t": "т", "ć": "ћ", "u": "у", "f": "ф", "h": "х", "c": "ц", "č": "ч", "š": "ш"}


def uk_latin(text: str, german: bool = False) -> str:
    table = _UK_GERMAN if german else _UK_OFFICIAL
    out = "".join(table.get(c.lower(), c).capitalize() if c.isupper() else table.get(c, c) for c in text)
    return out


def sr_cyrillic(text: str) -> str:
    out, i, low = [], 0, text.lower()
    while i < len(text):
        pair = low[i:i + 2]
        rep = _SR_CYR.get(pair) if pair in ("lj", "nj", "dž") else None
        step = 2 if rep else 1
        rep = rep or _SR_CYR.get(low[i], text[i])
        out.append(rep.upper() if text[i].isupper() else rep)
        i += step
    return "".join(out)


def strip_marks(text: str) -> str:
    text = text.replace("đ", "dj").replace("Đ", "Dj").replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def cedillas(text: str) -> str:
    """Romanian comma-below letters as legacy systems write them (with cedillas)."""
    return text.translate(str.maketrans("șțȘȚ", "şţŞŢ"))


_NEAR = {"a": "sq", "e": "wr", "i": "uo", "o": "ip", "u": "yi", "n": "bm", "m": "n", "r": "et", "s": "ad",
         "t": "ry", "l": "k", "k": "jl", "c": "xv", "d": "sf", "g": "fh", "h": "gj", "b": "vn", "p": "o"}


def slip(rng: random.Random, word: str) -> str:
    """A typing or reading slip: a near key, a doubled or dropped double letter, a vowel swap."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    ch = word[i].lower()
    if op == 0 and ch in _NEAR:
        return word[:i] + rng.choice(_NEAR[ch]) + word[i + 1:]
    if op == 1:
        for j in range(1, len(word)):
            if word[j] == word[j - 1]:
                return word[:j] + word[j + 1:]
        return word[:i] + word[i] + word[i:]
    if op == 2 and ch in "aeiou":
        return word[:i] + rng.choice([v for v in "aeiou" if v != ch]) + word[i + 1:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:] if i + 1 < len(word) else word


# ---- persons -------------------------------------------------------------------------------

@dataclass
class Who:
    pid: str
    land: Land
    female: bool
    given: str
    family: str         # may hold two words (compound, two surnames, "bin X")
    dob: tuple[int, int, int]
    city: str
    phones: list[str] = field(default_factory=list)   # E.164
    emails: list[str] = field(default_factory=list)
    handles: list[tuple[str, str]] = field(default_factory=list)  # (platform, handle)
    account: str = ""
    ips: list[str] = field(default_factory=list)
    mononym: bool = False  # known by one name only (Indonesia)


class World:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def unique(self, value: str) -> str:
        v = value
        while v.lower() in self.used:
            v = f"{value}{self.rng.randrange(2, 9999)}"
        self.used.add(v.lower())
        return v

    def tail_surname(self, locale: str, female: bool) -> str:
        rng = self.rng
        cyr = locale in CYRILLIC
        stem = "".join(rng.choice(SYLL_CYR if cyr else SYLL_LATIN) for _ in range(rng.choice((1, 2, 2))))
        ending = rng.choice(TAIL_ENDINGS[locale]) if TAIL_ENDINGS.get(locale) else ""
        if "/" in ending:
            ending = ending.split("/")[1 if female else 0]
        return (stem + ending).capitalize()

    def surname(self, locale: str, female: bool) -> str:
        rng = self.rng
        listed = NAMELISTS[locale][2]
        if locale == "vi" or rng.random() < 0.35 or not TAIL_ENDINGS.get(locale):
            name = rng.choice(listed)
            return name.split("/")[1 if female else 0] if "/" in name else name
        return self.tail_surname(locale, female)

    def person(self, pid: str, land: Land) -> Who:
        rng = self.rng
        loc = land.locale
        female = rng.random() < 0.5
        given = rng.choice(NAMELISTS[loc][1 if female else 0])
        family = self.surname(loc, female)
        if loc in ("es",):  # paternal and maternal surnames
            family = f"{family} {self.surname(loc, female)}"
        elif loc == "pt" and rng.random() < 0.6:
            family = f"{self.surname(loc, female)} {family}"
        elif loc == "ms":  # a patronymic
            family = f"{'binti' if female else 'bin'} {rng.choice(NAMELISTS['ms'][0])}"
        who = Who(pid, land, female, given, family,
                  (rng.randrange(1955, 2007), rng.randrange(1, 13), rng.randrange(1, 29)), rng.choice(land.cities),
                  mononym=loc == "id" and rng.random() < 0.25)
        for _ in range(1 if rng.random() < 0.7 else 2):
            who.phones.append(self.phone(land.code))
        latin = self.latin_parts(who)
        for _ in range(rng.choice((1, 1, 2))):
            domain = rng.choice(land.providers) if land.providers and rng.random() < 0.55 else rng.choice(GENERIC_MAIL)
            who.emails.append(self.unique(f"{self.local_part(latin)}@{domain}"))
        base = self.unique(self.handle(latin))
        platforms = rng.sample((MARKET, FORUM, *MESSENGERS), rng.choice((1, 2, 2, 3)))
        for plat in platforms:  # most reuse one screen name everywhere, some make another
            who.handles.append((plat, base if rng.random() < 0.6 else self.unique(self.handle(latin))))
        who.account = self.account(land.code)
        for _ in range(rng.choice((1, 2))):
            who.ips.append(f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}")
        return who

    def latin_parts(self, who: Who) -> tuple[str, str]:
        g, f = who.given, who.family
        if who.land.locale == "uk":
            g, f = uk_latin(g), uk_latin(f)
        g = strip_marks(g).lower().replace(" ", "")
        f = strip_marks(f.split()[-1]).lower()
        return g, f

    def local_part(self, latin: tuple[str, str]) -> str:
        rng = self.rng
        g, f = latin
        yy = rng.randrange(70, 100)
        return rng.choice((f"{g}{f}{yy}", f"{f}.{g[:1]}", f"{g}_{rng.randrange(1, 29):02d}{rng.randrange(1, 13):02d}",
                           f"{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.randrange(100)}", f"{g}.{f}.{yy}"))

    def handle(self, latin: tuple[str, str]) -> str:
        rng = self.rng
        g, f = latin
        return rng.choice((f"{g}{f[:1]}{rng.randrange(80, 100)}", f"{f}_{g}", f"{g}.{f[:3]}",
                           f"{rng.choice(WORDS)}_{g}", f"{g}{rng.choice(WORDS)}{rng.randrange(10)}",
                           f"{rng.choice(WORDS)}{rng.choice(WORDS)}"))

    def phone(self, region: str) -> str:
        rng = self.rng
        ex = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if ex is None:
            raise RuntimeError(f"no mobile example for {region}")
        digits = str(ex.national_number)
        for _ in range(100):
            cut = max(2, len(digits) - 7)
            cand = digits[:cut] + "".join(rng.choice("0123456789") for _ in range(len(digits) - cut))
            num = phonenumbers.parse(cand, region)
            if phonenumbers.is_valid_number(num):
                e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
                if e164 not in self.used:
                    self.used.add(e164)
                    return e164
        raise RuntimeError(f"no valid number drawn for {region}")

    def account(self, region: str) -> str:
        if region in ("PL", "RO", "UA", "CZ", "HU", "RS", "BR"):
            from schwifty import IBAN

            try:
                return str(IBAN.random(country_code=region, random=self.rng, use_registry=False).compact)
            except Exception:  # a country schwifty cannot draw for gets a plain account
                pass
        return "".join(self.rng.choice("0123456789") for _ in range(12))


# ---- how each source writes a person ---------------------------------------------------------

def written_name(rng: random.Random, who: Who, caps: float = 0.0) -> tuple[str, str]:
    """(given, family) as one clerk or form writes them."""
    g, f = who.given, who.family
    loc = who.land.locale
    if loc == "uk":
        r = rng.random()
        g, f = (uk_latin(g), uk_latin(f)) if r < 0.45 else (uk_latin(g, True), uk_latin(f, True)) if r < 0.7 else (g, f)
    elif loc == "sr" and rng.random() < 0.3:
        g, f = sr_cyrillic(g), sr_cyrillic(f)
    elif loc == "ro" and rng.random() < 0.3:
        g, f = cedillas(g), cedillas(f)
    if loc == "es" and rng.random() < 0.35:
        f = f.split()[0]  # the paternal surname only
    if rng.random() < 0.4:
        g, f = strip_marks(g), strip_marks(f)
    if rng.random() < 0.06:
        if rng.random() < 0.5:
            g = slip(rng, g)
        else:
            f = slip(rng, f)
    if rng.random() < caps:
        g, f = g.upper(), f.upper()
    if who.mononym:
        return g, ""
    return g, f


def full_name(rng: random.Random, who: Who, caps: float = 0.0) -> str:
    g, f = written_name(rng, who, caps)
    if not f:
        return g
    if who.land.locale in FAMILY_FIRST and rng.random() < 0.6:
        return f"{f} {g}"
    r = rng.random()
    if r < 0.1:
        return f"{f} {g}"  # swapped by the clerk
    if r < 0.25:
        return f"{f.upper()}, {g}"
    return f"{g} {f}"


def written_phone(rng: random.Random, e164: str, local_ok: bool) -> str:
    num = phonenumbers.parse(e164)
    national = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
    cc = num.country_code
    nsn = phonenumbers.national_significant_number(num)
    r = rng.random()
    if local_ok and r < 0.35:
        return national if rng.random() < 0.6 else "".join(c for c in national if c.isdigit())
    if r < 0.55:
        return f"+{cc} {nsn[:3]} {nsn[3:]}"
    if r < 0.7:
        return f"(+{cc}) {nsn}"
    if r < 0.85:
        return f"00{cc}{nsn}"
    return f"+{cc}-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"


def date_as(dob: tuple[int, int, int], style: str) -> str:
    y, m, d = dob
    return {"dmy": f"{d:02d}/{m:02d}/{y}", "mdy": f"{m}/{d}/{y}", "ymd": f"{y}{m:02d}{d:02d}"}[style]


def country_as(rng: random.Random, land: Land) -> str:
    r = rng.random()
    return land.code if r < 0.4 else land.written[0] if r < 0.7 else land.written[1]


# ---- sources -------------------------------------------------------------------------------

VENTAS = {"N° Pedido": "record_id", "Cliente": "name", "Correo electrónico": "email", "Celular": "phone",
          "Dirección": "street", "Localidad": "city", "País": "country", "F. Nacimiento": "dob",
          "Medio de pago": "payment_method", "Ref. pago": "payment_ref", "Total": "amount", "Moneda": "currency",
          "Fecha": "timestamp", "Observaciones": None}
MIEMBROS = {"member_no": "record_id", "nick": "username", "site": "platform", "real_name": "name",
            "mail": "email", "birthday": "dob", "location": "city", "ctry": "country", "reg_ip": "ip",
            "joined": "timestamp", "posts": None}
REMESAS = {"Txn Ref": "record_id", "Value Date": "timestamp", "Amount": "amount", "CCY": "currency",
           "Purpose": "reference", "Remitter Name": "sender_name", "Remitter Mobile": "sender_phone",
           "Remitter Birth Date": "sender_dob", "Remitter Address": "sender_street", "Remitter City": "sender_city",
           "Remitter Country": "sender_country", "Remitter Account": "sender_account",
           "Beneficiary Name": "beneficiary_name", "Beneficiary Mobile": "beneficiary_phone",
           "Beneficiary Account": "beneficiary_account", "Beneficiary City": "beneficiary_city",
           "Beneficiary Country": "beneficiary_country", "Agent": None}
STREETS = ("Calle {n}", "Av. Central {n}", "Rua {n}", "{n} Rizal St.", "ul. Polna {n}", "Jalan Merdeka {n}",
           "Plot {n}", "Strada Mare {n}", "вул. Шкільна {n}", "Fő utca {n}")


def mapping_yaml(kind: str, columns: dict[str, str | None], extra: str = "") -> str:
    lines = [f"kind: {kind}", "columns:"]
    lines += [f"  {json.dumps(col, ensure_ascii=False)}: {field_ or '~'}" for col, field_ in columns.items()]
    return "\n".join(lines) + "\n" + extra


def venta(rng: random.Random, who: Who, rid: str) -> dict[str, str]:
    row = {"N° Pedido": rid, "Cliente": full_name(rng, who, caps=0.15)}
    if rng.random() < 0.8:
        row["Correo electrónico"] = rng.choice(who.emails)
    has_country = rng.random() < 0.8
    if has_country:
        row["País"] = country_as(rng, who.land)
    if rng.random() < 0.75:
        row["Celular"] = written_phone(rng, rng.choice(who.phones), has_country)
    if rng.random() < 0.5:
        row["Dirección"] = rng.choice(STREETS).format(n=rng.randrange(1, 300))
    if rng.random() < 0.85:
        row["Localidad"] = who.city if rng.random() < 0.9 else strip_marks(who.city).upper()
    if rng.random() < 0.45:
        row["F. Nacimiento"] = date_as(who.dob, "dmy")
    method = rng.choice(("transferencia", "tarjeta", "efectivo", "billetera"))
    row["Medio de pago"] = method
    if method == "transferencia":
        row["Ref. pago"] = who.account
    elif method == "billetera" and who.emails:
        row["Ref. pago"] = who.emails[0]
    row["Total"] = f"{rng.randrange(3, 900)},{rng.randrange(100):02d}"
    row["Moneda"] = who.land.currency
    row["Fecha"] = (f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/2025 "
                    f"{rng.randrange(24):02d}:{rng.randrange(60):02d}")
    if rng.random() < 0.1:
        row["Observaciones"] = rng.choice(("entregar en portería", "llamar antes", "regalo"))
    return row


def miembro(rng: random.Random, who: Who, rid: str) -> dict[str, str]:
    forum = [h for p, h in who.handles if p == FORUM]
    nick = forum[0] if forum else rng.choice(who.handles)[1]
    row = {"member_no": rid, "nick": nick if rng.random() < 0.8 else nick.capitalize(), "site": FORUM,
           "joined": f"{rng.randrange(2018, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
           "posts": str(rng.randrange(0, 3000))}
    if rng.random() < 0.4:
        row["real_name"] = full_name(rng, who)
    if rng.random() < 0.9:
        row["mail"] = rng.choice(who.emails)
    if rng.random() < 0.5:
        row["birthday"] = date_as(who.dob, "mdy")
    if rng.random() < 0.6:
        row["location"] = strip_marks(who.city) if rng.random() < 0.5 else who.city
    if rng.random() < 0.6:
        row["ctry"] = who.land.written[0]
    if rng.random() < 0.7:
        row["reg_ip"] = rng.choice(who.ips)
    return row


UC_LINES = ("hello", "hey", "how's your day", "ok", "I see", "where do you usually shop?", "nice",
            "how do I reach you later?", "cool")
THEIR_LINES = ("hola", "oi", "hi po", "fine thanks", "busy with work", "ok", "jaja", "kkkk", "later",
               "sure", "hehe")


def session(rng: random.Random, who: Who, sid: str) -> list[dict[str, object]]:
    platform, handle = rng.choice(who.handles)
    if rng.random() < 0.35:
        platform = rng.choice(ROOMS)  # a chat room: the same screen name, another place
    shown = handle if rng.random() < 0.75 else handle.upper() if rng.random() < 0.3 else handle.capitalize()
    said: list[str] = []
    k = rng.choices((0, 1, 2, 3), (0.15, 0.4, 0.3, 0.15))[0]
    country_said = False
    for what in rng.sample(("mail", "phone", "city", "other", "name"), k):
        if what == "mail":
            said.append(rng.choice(("mi correo {}", "email me {}", "{} is my mail")).format(rng.choice(who.emails)))
        elif what == "phone":
            e164 = rng.choice(who.phones)
            num = phonenumbers.parse(e164)
            if rng.random() < 0.4:
                said.append(f"im in {who.land.written[1]}")
                country_said = True
                said.append("whatsapp " + phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL))
            else:
                said.append("my number " + phonenumbers.format_number(
                    num, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
        elif what == "city":
            said.append(rng.choice(("from {}", "I stay in {}", "{} here")).format(who.city))
        elif what == "other":
            others = [h for h in who.handles if h[0] != platform]
            if others:
                p, h = rng.choice(others)
                said.append(f"find me on {p} {h}")
        else:
            said.append(f"name's {who.given.split()[0]}")
    lines: list[tuple[str, str]] = [("uc", rng.choice(UC_LINES)), ("them", rng.choice(THEIR_LINES))]
    for s in said:
        lines += [("uc", rng.choice(UC_LINES)), ("them", s)]
    lines.append(("them", rng.choice(THEIR_LINES)))
    y, m, d = 2025, rng.randrange(1, 13), rng.randrange(1, 29)
    msgs = [{"t": f"{y}-{m:02d}-{d:02d}T{8 + i * 7 // 60:02d}:{i * 7 % 60:02d}:{rng.randrange(60):02d}Z",
             "from": shown if who_ == "them" else "uc_officer_2", "text": text} for i, (who_, text) in enumerate(lines)]
    obj: dict[str, object] = {"session": sid, "platform": platform, "counterpart": shown}
    if not country_said and rng.random() < 0.2:
        obj["country"] = who.land.code  # where the operation believes the counterpart is
    if len(msgs) > 4 and rng.random() < 0.3:  # the export split the session over two lines
        return [{**obj, "messages": msgs[:3]}, {"session": sid, "platform": platform, "counterpart": shown,
                                               "messages": msgs[3:]}]
    return [{**obj, "messages": msgs}]


def hotline_report(rng: random.Random, who: Who, rid: str) -> str:
    platform, handle = rng.choice(who.handles)
    parts: list[str] = []
    person: list[str] = []
    if rng.random() < 0.3:
        g, f = written_name(rng, who)
        person.append(f"<firstName>{escape(g)}</firstName>" + (f"<lastName>{escape(f)}</lastName>" if f else ""))
    if rng.random() < 0.45:
        person.append(f"<email>{escape(rng.choice(who.emails))}</email>")
    if rng.random() < 0.3:
        num = phonenumbers.parse(rng.choice(who.phones))
        person.append(f'<phone countryCallingCode="{num.country_code}">'
                      f"{phonenumbers.national_significant_number(num)}</phone>")
    if person:
        parts.append("<personOrUserReportedPerson>" + "".join(person) + "</personOrUserReportedPerson>")
    if rng.random() < 0.55:  # members of the public often do not know the service's name
        parts.append(f"<espService>{escape(platform.title())}</espService>")
    parts.append(f"<screenName>{escape(handle)}</screenName>")
    if rng.random() < 0.5:
        parts.append(f"<ipCaptureEvent><ipAddress>{rng.choice(who.ips)}</ipAddress><eventName>Login</eventName>"
                     f"<dateTime>2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T20:00:00Z</dateTime>"
                     "</ipCaptureEvent>")
    if rng.random() < 0.6:
        city = f"<city>{escape(who.city)}</city>" if rng.random() < 0.5 else ""
        parts.append(f"<estimatedLocation>{city}<countryCode>{who.land.code}</countryCode></estimatedLocation>")
    note = hotline_note(who, rid)
    return (f"<report id={quoteattr(rid)}><incidentSummary><incidentType>Online Enticement of Children"
            f"</incidentType><incidentDateTime>2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T18:30:00Z"
            "</incidentDateTime></incidentSummary><personOrUserReported>" + "".join(parts)
            + "</personOrUserReported>" + (f"<additionalInfo>{escape(note)}</additionalInfo>" if note else "")
            + "</report>")


def hotline_note(who: Who, rid: str) -> str | None:
    """The hotline analyst's note on some reports, in the caller's language, quoting what the user
    told the child about themselves (a first name, a town; or only the town). Its own generator,
    seeded by the report, so the rest of the corpus is unchanged."""
    rng = random.Random(f"note:{rid}")
    if rng.random() >= 0.3:
        return None
    given, city = who.given.split()[0], who.city
    lang = rng.choice(("es", "pt", "en"))
    if lang == "es":
        quote = rng.choice((f"me llamo {given}, vivo en {city}", f"soy de {city}", f"mi nombre es {given}"))
        return f"Llamada de una madre. El usuario le escribió a la menor: «{quote}»."
    if lang == "pt":
        quote = rng.choice((f"me chamo {given} e moro em {city}", f"moro em {city}", f"meu nome é {given}"))
        return f"Denúncia de um pai. O usuário disse à criança: “{quote}”."
    quote = rng.choice((f"name's {given}, I stay in {city}", f"I stay in {city}", f"name's {given}"))
    return f"Caller is the child's aunt; she says the user typed \"{quote}\" in the game chat."


def remesa(rng: random.Random, sender: Who, beneficiary: Who, rid: str) -> dict[str, str]:
    row = {"Txn Ref": rid, "Value Date": f"2025{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}",
           "Amount": f"{rng.randrange(10, 1500)}.{rng.randrange(100):02d}", "CCY": rng.choice(("USD", "EUR")),
           "Purpose": rng.choice(("family maintenance", "education", "savings", "gift", "medical")),
           "Remitter Name": full_name(rng, sender, caps=0.5), "Remitter City": sender.city,
           "Beneficiary Name": full_name(rng, beneficiary, caps=0.5), "Agent": f"AG-{rng.randrange(100, 999)}"}
    if rng.random() < 0.9:
        row["Remitter Country"] = country_as(rng, sender.land)
    if rng.random() < 0.85:
        row["Remitter Mobile"] = written_phone(rng, sender.phones[0], "Remitter Country" in row)
    if rng.random() < 0.55:
        row["Remitter Birth Date"] = date_as(sender.dob, "ymd")
    if rng.random() < 0.3:
        row["Remitter Address"] = rng.choice(STREETS).format(n=rng.randrange(1, 300))
    if rng.random() < 0.6:
        row["Remitter Account"] = sender.account
    if rng.random() < 0.9:
        row["Beneficiary Country"] = country_as(rng, beneficiary.land)
    if rng.random() < 0.9:
        row["Beneficiary Mobile"] = written_phone(rng, rng.choice(beneficiary.phones), "Beneficiary Country" in row)
    if rng.random() < 0.4:
        row["Beneficiary Account"] = beneficiary.account
    if rng.random() < 0.8:
        row["Beneficiary City"] = beneficiary.city
    return row


# ---- the corpus ----------------------------------------------------------------------------

@dataclass
class AltCorpus:
    folder: Path
    files: dict[str, tuple[str, Path, Path | None]] = field(default_factory=dict)  # source -> (kind, path, mapping)
    records: int = 0
    people: int = 0

    @property
    def truth_path(self) -> Path:
        return self.folder / "answer_key.csv"


KIND_SHARES = (("ventas", 0.42), ("miembros", 0.1), ("chats", 0.16), ("tips", 0.12), ("remesas", 0.2))


def make_alt_corpus(folder: Path, records: int = 3000, seed: int = 1) -> AltCorpus:
    """About ``records`` records (a transfer counts once) under ``folder``, deterministic per seed."""
    rng = random.Random(seed)
    world = World(rng)
    folder.mkdir(parents=True, exist_ok=True)
    weights = [3 if land.code in ("MX", "BR", "PH", "NG", "PL", "ID") else 1 for land in LANDS]
    people: list[Who] = []
    slots: dict[str, list[Who]] = {k: [] for k, _ in KIND_SHARES}
    total = 0
    while total < records:
        who = world.person(f"W{len(people) + 1:06d}", rng.choices(LANDS, weights)[0])
        people.append(who)
        n = min(records - total, rng.choices((1, 2, 3, 4, 6, 9, 14), (35, 25, 15, 10, 8, 5, 2))[0])
        total += n
        for _ in range(n):
            slots[rng.choices([k for k, _ in KIND_SHARES], [w for _, w in KIND_SHARES])[0]].append(who)
    for lst in slots.values():
        rng.shuffle(lst)
    key: list[tuple[str, str, str, Who]] = []
    out = AltCorpus(folder=folder, people=len(people), records=total)

    def table(name: str, kind: str, columns: dict[str, str | None], rows: list[dict[str, str]], delimiter: str,
              extra: str = "") -> None:
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(columns), delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
            w.writeheader()
            w.writerows(rows)
        mapping = folder / f"{name}.yaml"
        mapping.write_text(mapping_yaml(kind, columns, extra), encoding="utf-8")
        out.files[name] = (kind, path, mapping)

    if slots["ventas"]:
        rows = []
        for i, who in enumerate(slots["ventas"]):
            rid = f"V{20250000 + i * 7 + rng.randrange(7)}"
            rows.append(venta(rng, who, rid))
            key.append(("ventas_tienda.csv", rid, "", who))
        table("ventas_tienda.csv", "customers", VENTAS, rows, ";", "dayfirst: true\n")
    if slots["miembros"]:
        rows = []
        for i, who in enumerate(slots["miembros"]):
            rid = str(1000 + i)
            rows.append(miembro(rng, who, rid))
            key.append(("foro_miembros.tsv", rid, "", who))
        table("foro_miembros.tsv", "customers", MIEMBROS, rows, "\t", "dayfirst: false\n")
    if slots["chats"]:
        with (folder / "chat_export.jsonl").open("w", encoding="utf-8") as fh:
            for i, who in enumerate(slots["chats"]):
                sid = f"UC-{rng.choice('ABC')}{i:05d}"
                for line in session(rng, who, sid):
                    fh.write(json.dumps(line, ensure_ascii=rng.random() < 0.5) + "\n")
                key.append(("chat_export.jsonl", sid, "", who))
        out.files["chat_export.jsonl"] = ("chats", folder / "chat_export.jsonl", None)
    if slots["tips"]:
        reports = []
        for i, who in enumerate(slots["tips"]):
            rid = f"HL-{2025}-{i + 1:05d}"
            reports.append(hotline_report(rng, who, rid))
            key.append(("hotline_reports.xml", rid, "", who))
        (folder / "hotline_reports.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<reports>\n' + "\n".join(reports) + "\n</reports>\n",
            encoding="utf-8")
        out.files["hotline_reports.xml"] = ("tips", folder / "hotline_reports.xml", None)
    if slots["remesas"]:
        rows = []
        for i, sender in enumerate(slots["remesas"]):
            beneficiary = rng.choice(people)
            while beneficiary is sender:
                beneficiary = rng.choice(people)
            rid = f"RM{rng.randrange(10, 99)}{i:07d}"
            rows.append(remesa(rng, sender, beneficiary, rid))
            key.append(("remesas.csv", rid, "sender", sender))
            key.append(("remesas.csv", rid, "beneficiary", beneficiary))
        table("remesas.csv", "transactions", REMESAS, rows, ",")
    with out.truth_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "record", "party", "person", "person_country"])
        w.writerows((f, r, party, who.pid, who.land.code) for f, r, party, who in key)
    return out


def read_key(path: Path) -> tuple[dict[tuple[str, str, str], str], dict[str, str]]:
    """``answer_key.csv`` as ((file, record, party) -> person, person -> country)."""
    truth: dict[tuple[str, str, str], str] = {}
    countries: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            truth[(r["file"], r["record"], r["party"])] = r["person"]
            countries[r["person"]] = r["person_country"]
    return truth, countries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    c = make_alt_corpus(args.out, args.records, args.seed)
    for source, (kind, path, mapping) in c.files.items():
        print(f"tasman records import {path} --case CASE --kind {kind}" + (f" --map {mapping}" if mapping else "")
              + f"   # {source}")
    print(f"{c.records} records of {c.people} persons; truth in {c.truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
