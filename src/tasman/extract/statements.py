"""What a person says about themselves in free text: their name and where they live.

    "I'm Marta" / "my name is Marta Kowalska" / "call me Marta" / "me llamo Luis" /
    "je m'appelle Léa" / "ich heiße Jan" / "mam na imię Ola" / "ako si Jayson" ...
    "I live in Poznań" / "soy de Lima" / "moro em Recife" / "mieszkam w Poznaniu" / "Lyon here"

:func:`self_statements` reads one line of text written by the person (a chat counterpart's own
message, a line a tip quotes them saying) and returns the :class:`Statement` s it makes, each
with the pattern that found it (``en:my-name-is``), so a reader can see why. It does not decide
whose line it is: the caller hands in only the person's own lines (a chat's counterpart, never
the operator). Text inside double quotes or guillemets is someone else's words and is skipped.

Patterns, in the languages of the cases Tasman sees (English, Spanish, Portuguese, French,
German, Italian, Dutch, Polish, Romanian, Turkish, Filipino, Indonesian, Russian, Ukrainian):

- *strong* introductions (``my name is``, ``me llamo``, ``ich heiße``) take a name written in
  lower case too (chats are typed fast); the *weak* ones (``I'm``, ``soy``, ``je suis``, ``call
  me``, ``X here``) only a capitalised word that is not a common word, a weekday, a nationality
  or a country: "I'm fine", "I'm in a hurry", "I'm Polish", "call me later" state no name;
- a possessive ("I'm Marta's friend") and a name followed by a relation ("I'm Tom's dad") are
  not the speaker's name;
- a place is a city of the GeoNames gazetteer (``tasman.extract.places``, 15,000+ people) or a
  country (pycountry) named after a word that states where one lives or comes from; after the
  Slavic prepositions (``w``, ``z``, ``we``, ``ze``, ``v``, ``iz``) the city's inflected form is read
  back to the gazetteer's (``Poznaniu``, ``Krakowie``, ``z Warszawy``) by its endings;
- "X here" at the start of a message is a place when the gazetteer knows X, else a first name.

No name list is shipped: a stated name is what the person wrote, kept with its pattern; what it
is worth as evidence is linking's to weigh (``tasman.link.normalise``: a full name is a name, a
first name alone only completes the name a screen name holds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tasman.extract.detectors.places import _STOP_CITY, country_names
from tasman.extract.identifiers import clean_country
from tasman.extract.idtypes import fold
from tasman.extract.places import clean_city

_country = lru_cache(maxsize=4096)(clean_country)
_city = lru_cache(maxsize=65536)(clean_city)


@dataclass(frozen=True)
class Statement:
    """One fact a person states about themselves.

    ``kind``: ``name`` (two or more name words), ``first_name``, ``city`` (a gazetteer city),
    ``place`` (a place the gazetteer does not know, as written) or ``country``; ``value``: the
    name as written (spacing normalised), a city's identifier value (``PL:poznan``), a place's
    folded name, a country's ISO code; ``raw``: the words in the text; ``pattern``: which pattern found it;
    ``name``: a place's name as written, a city's read back from an inflected form (``Poznan``
    from ``Poznaniu``; the gazetteer's own name is in ``value``); ``country``: a city's country."""

    kind: str
    value: str
    raw: str
    pattern: str
    name: str | None = None
    country: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "value": self.value, "raw": self.raw, "pattern": self.pattern}
        if self.name:
            out["name"] = self.name
        if self.country:
            out["country"] = self.country
        return out


# ---- names ---------------------------------------------------------------------------------

# (pattern id, regular expression of the introduction, strong?)
_NAME_INTROS: tuple[tuple[str, str, bool], ...] = (
    ("en:my-name-is", r"my\s+name\s+is|my\s+name['’]s|my\s+names", True),
    ("en:names", r"(?:^|(?<=[.!?,;]\s)|(?<=[.!?,;]))\s*names?['’]s|(?:^|(?<=[.!?,;]\s))\s*name\s*:", True),
    ("en:i-am-called", r"i\s+am\s+called|i['’]?m\s+called|they\s+call\s+me|people\s+call\s+me", True),
    ("en:call-me", r"call\s+me|you\s+can\s+call\s+me", False),
    ("en:i-am", r"i['’]m|i\s+am|im", False),
    ("es:me-llamo", r"me\s+llamo|mi\s+nombre\s+es|me\s+dicen", True),
    ("es:soy", r"soy", False),
    ("pt:me-chamo", r"me\s+chamo|meu\s+nome\s+[ée]|eu\s+me\s+chamo", True),
    ("pt:sou", r"eu\s+sou\s+[oa]|sou\s+[oa]", False),
    ("fr:je-m-appelle", r"je\s+m['’]\s*appelle|mon\s+nom\s+est|mon\s+pr[ée]nom\s+est|moi\s+c['’]est", True),
    ("fr:je-suis", r"je\s+suis", False),
    ("de:ich-heisse", r"ich\s+hei(?:ß|ss)e|mein\s+name\s+ist|mein\s+vorname\s+ist", True),
    ("de:ich-bin", r"ich\s+bin(?:\s+(?:der|die))?", False),
    ("it:mi-chiamo", r"mi\s+chiamo|il\s+mio\s+nome\s+[èe]", True),
    ("it:sono", r"sono", False),
    ("nl:ik-heet", r"ik\s+heet|mijn\s+naam\s+is", True),
    ("nl:ik-ben", r"ik\s+ben", False),
    ("pl:mam-na-imie", r"mam\s+na\s+imi[ęe]|nazywam\s+si[ęe]|na\s+imi[ęe]\s+mi", True),
    ("pl:jestem", r"jestem", False),
    ("ro:ma-numesc", r"m[ăa]\s+numesc|numele\s+meu\s+este", True),
    ("tr:benim-adim", r"benim\s+ad[ıi]m|ad[ıi]m", True),
    ("tl:ako-si", r"ako\s+(?:po\s+)?si|pangalan\s+ko\s+(?:ay\s+)?(?:si\s+)?", True),
    ("id:nama-saya", r"nama\s+saya|nama\s+aku|namaku", True),
    ("ru:menya-zovut", r"меня\s+зовут|мене\s+звати|menya\s+zovut|mene\s+zvaty", True),
)
_NAME_RE = re.compile(
    "|".join(f"(?P<n{i}>(?<![\\w'’])(?:{rx}))" for i, (_, rx, _) in enumerate(_NAME_INTROS)) + r"(?=[\s:,]|$)",
    re.IGNORECASE)
# "Marta here", "Marta :)": a message that opens with a capitalised word followed by "here"
_HERE_RE = re.compile(r"^\s*(?:hi|hey|hello|hola|oi)?[\s,!]*(?P<w>[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’-]*)?)"
                      r"\s+here\b(?!\s+(?:is|are|was|in|at|on|for|to|too|and|now|with))", re.IGNORECASE)

# a word of name: letters, inner hyphens or apostrophes ("Anne-Marie", "O'Neil")
_WORD = re.compile(r"[ \t]*(?:,[ \t]*)?([^\W\d_]+(?:[-'’][^\W\d_]+)*)(['’]s\b)?", re.UNICODE)

# words that follow "I'm", "soy", "je suis"... capitalised and yet no name
_NOT_NAMES_TEXT = """
a an the and or but so not no yes yeah yep nope ok okay fine good great well bad sad tired busy free
here there home back out in on at from to of for with by about just also too very really so still
sorry sure glad happy new old young alone single married ready done sick ill hungry bored online
off away gone late early cool alright afraid scared interested serious kidding joking looking going
coming trying working living staying leaving waiting writing talking asking thinking sending
this that these those what who where when why how which whatever
lonely horny hot cute shy nice real legit bored down up awake asleep sleepy drunk high safe broke rich
poor curious open honest new divorced separated widowed retired unemployed employed pregnant lucky
catholic muslim jewish hindu buddhist atheist vegan vegetarian
doing driving eating sleeping playing watching getting feeling being having making taking moving
traveling travelling studying chilling gonna wanna actually literally already almost
mr mrs ms miss dr sir madam boy girl man woman guy lady dude bro sis mom mum dad kid student teacher
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december today tomorrow tonight yesterday now later soon
hi hey hello bye thanks thank please lol haha hehe jaja kkk xd omg god jesus christ
gay straight bi male female
english british american canadian australian irish scottish welsh french german italian spanish
portuguese brazilian mexican argentinian argentine colombian peruvian chilean venezuelan cuban
dutch belgian swiss austrian polish czech slovak hungarian romanian bulgarian serbian croatian
bosnian slovenian greek turkish russian ukrainian belarusian lithuanian latvian estonian finnish
swedish norwegian danish icelandic chinese japanese korean vietnamese thai filipino filipina
indonesian malaysian indian pakistani bangladeshi nigerian ghanaian kenyan african asian european
arab arabic egyptian moroccan algerian tunisian israeli iranian iraqi syrian lebanese latino latina
muy bien aqui aquí casa nada mal bueno buena listo lista solo sola estudiante un una el la de del
um uma o os as do da em no na bem aqui casa
très bien fatigué fatiguée là ici un une le les de du des en
gut hier da zu zuhause müde ein eine der die das
molto bene qui qua stanco stanca un una il lo di da in
niet wel goed hier thuis een het de van
dobrze tutaj tu w z na nie tak
po ako na sa ang mga si
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_CONNECTORS = frozenset({"and", "y", "e", "et", "und", "i", "en", "ve", "at", "dan"})
# after a name: "Tom's dad", "Marta's friend": the name is someone else's
_RELATION = re.compile(r"\s*(?:['’]s\b|\s+(?:'s|is\s+my|was\s+my))", re.IGNORECASE)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|„[^“”]*[“”]|«[^»]*»|‹[^›]*›|「[^」]*」")
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "sr", "sra", "herr", "frau", "pan", "pani", "señor",
                     "señora", "senhor", "senhora", "monsieur", "madame"})


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() and not (len(word) > 1 and word.isupper() and len(word) <= 3)


def _name_after(text: str, pos: int, strong: bool) -> tuple[list[str], int] | None:
    """The name words after an introduction: up to three, capitalised (any case after a strong
    introduction), stopping at a common word, punctuation or a digit."""
    words: list[str] = []
    end = pos
    while len(words) < 3:
        m = _WORD.match(text, end)
        if m is None:
            break
        if words and "," in text[end:m.start(1)]:
            break  # "I'm Chris, Marta's brother": the name ends at the comma
        word = m.group(1)
        low = word.casefold()
        if not words and low in _TITLES:  # "I'm Mr Smith": the title is no part of the name
            end = m.end()
            continue
        if low in _NOT_NAMES or low in _CONNECTORS or len(word) < 2:
            break
        if not strong and not _is_capitalised(word):
            break
        if strong and words and _is_capitalised(word) != _is_capitalised(words[0]):
            break  # "my name is Marta and..." / "my name is marta Kowalska"? stop at a change of style
        if m.group(2) or low.endswith(("'s", "’s")):  # "Marta's": a possessive, someone else's name
            return None
        words.append(word)
        end = m.end(1)
    if not words:
        return None
    if _RELATION.match(text, end):
        return None
    if len(words) > 1 and text[end:end + 1] == "'":
        return None
    return words, end


def _names(text: str) -> list[Statement]:
    out: list[Statement] = []
    for m in _NAME_RE.finditer(text):
        group = m.lastgroup or ""
        pattern, _, strong = _NAME_INTROS[int(group[1:])]
        got = _name_after(text, m.end(), strong)
        if got is None:
            continue
        words, _end = got
        if not strong and len(words) == 1 and words[0].casefold() in _NOT_NAMES:
            continue
        out.append(_name_statement(words, pattern))
    if not out and (h := _HERE_RE.match(text)) is not None and _is_capitalised(h.group("w")):
        words = h.group("w").split()
        if not any(w.casefold() in _NOT_NAMES for w in words) and _here_place(h.group("w")) is None:
            out.append(_name_statement(words, "en:x-here"))
    return out


def _name_statement(words: list[str], pattern: str) -> Statement:
    raw = " ".join(words)
    return Statement("name" if len(words) > 1 else "first_name", raw, raw, pattern)


# ---- places --------------------------------------------------------------------------------

# (pattern id, introduction, how the place is read): "gazetteer", a city or a country the gazetteer
# knows; "residence", also a capitalised place it does not know (a village, a suburb), kept as
# written, after words that can only introduce where one lives or comes from ("I live in",
# "vivo en"; not a bare "in" or "from": "from Monday", "in Trouble"); "slavic", a gazetteer
# city in an inflected form ("w Poznaniu")
_PLACE_INTROS: tuple[tuple[str, str, str], ...] = (
    ("en:live-in", r"i\s+live\s+in|i\s+stay\s+in|i\s+am\s+based\s+in|i['’]?m\s+based\s+in|i\s+reside\s+in|"
                   r"i\s+moved\s+to|i\s+live\s+near", "residence"),
    ("en:i-am-from", r"i['’]?m\s+from|i\s+am\s+from|i\s+come\s+from|originally\s+from", "residence"),
    ("en:in", r"i['’]?m\s+in|i\s+am\s+in|living\s+in|based\s+in|i['’]?m\s+near", "gazetteer"),
    ("en:from", r"from|near", "gazetteer"),
    ("es:vivo-en", r"vivo\s+en|soy\s+de|vengo\s+de|resido\s+en", "residence"),
    ("es:estoy-en", r"estoy\s+en", "gazetteer"),
    ("pt:moro-em", r"moro\s+em|moro\s+n[oa]|sou\s+de|sou\s+d[oa]|vivo\s+em", "residence"),
    ("pt:estou-em", r"estou\s+em", "gazetteer"),
    ("fr:j-habite", r"j['’]\s*habite\s+(?:à|a|au)|je\s+vis\s+(?:à|a|au)|je\s+suis\s+de|je\s+viens\s+de", "residence"),
    ("de:ich-wohne", r"ich\s+wohne\s+in|ich\s+lebe\s+in|ich\s+komme\s+aus|wohne\s+in|komme\s+aus", "residence"),
    ("it:abito-a", r"abito\s+a|vivo\s+a|sono\s+di|vengo\s+da", "residence"),
    ("nl:ik-woon", r"ik\s+woon\s+in|ik\s+kom\s+uit", "residence"),
    ("ro:locuiesc", r"locuiesc\s+[îi]n|sunt\s+din", "residence"),
    ("pl:mieszkam-w", r"mieszkam\s+we?|jestem\s+ze?|pochodz[ęe]\s+ze?", "slavic"),
    ("cs:bydlim-v", r"bydl[íi]m\s+ve?|jsem\s+ze?", "slavic"),
    ("sr:zivim-u", r"[žz]ivim\s+u|ja\s+sam\s+iz|sam\s+iz", "slavic"),
    ("ru:zhivu-v", r"я\s+живу\s+в|живу\s+в|я\s+из|zhivu\s+v", "slavic"),
    ("tl:taga", r"taga|nakatira\s+ako\s+sa|nakatira\s+sa|dito\s+ako\s+sa", "residence"),
    ("id:tinggal-di", r"tinggal\s+di|saya\s+dari|aku\s+dari", "residence"),
)
_PLACE_RE = re.compile(
    "|".join(f"(?P<p{i}>(?<![\\w'’])(?:{rx}))" for i, (_, rx, _) in enumerate(_PLACE_INTROS)) + r"(?=\s)",
    re.IGNORECASE)
_PLACE_LINKS = frozenset({"de", "del", "da", "do", "dos", "das", "la", "le", "les", "am", "an", "upon", "on", "sur",
                          "en", "di", "im", "of"})
_PLACE_WORD = re.compile(r"\s+([^\W\d_]+(?:[-'’][^\W\d_]+)*)", re.UNICODE)
# a lower-case word after "from", "in": only a place when it could not be anything else
_NOT_PLACES_TEXT = """
home work school here there the a an my your his her our their this that bed town city country
time now today tomorrow love hope peace faith bath office uni college church
"""
_NOT_PLACES = frozenset(_NOT_PLACES_TEXT.split())
# Slavic case endings, longest first, and what the nominative ends with instead
_SLAVIC_ENDINGS: tuple[tuple[str, str], ...] = (
    ("iu", ""), ("ie", "a"), ("ie", ""), ("ii", "ia"), ("ami", ""), ("ach", "y"), ("u", ""), ("a", ""), ("y", "a"),
    ("i", "a"), ("i", ""), ("e", "a"), ("ě", "a"), ("é", "á"), ("ой", "а"), ("е", "а"), ("е", ""), ("у", ""),
    ("а", ""), ("ы", "а"), ("и", "а"),
)


def _slavic_forms(word: str) -> list[str]:
    out = [word]
    low = word.casefold()
    for end, repl in _SLAVIC_ENDINGS:
        if low.endswith(end) and len(word) - len(end) >= 3:
            out.append(word[: len(word) - len(end)] + repl)
    if low.endswith("dzi"):  # Łodzi -> Łódź (the accent is folded away by the gazetteer)
        out.append(word[:-3] + "dz")
    if low.endswith("owie"):  # Krakowie -> Kraków
        out.append(word[:-3])
    return out


@lru_cache(maxsize=1)
def _country_words() -> frozenset[str]:
    """Country names as people write them (English and a few large languages, ``USA``, ``UK``):
    the place detector's list; pycountry's names in every language would read "Marta" as Malta."""
    return frozenset(n.casefold() for n in country_names())


def _here_place(words: str) -> Statement | None:
    """"Lyon here": a city, when the gazetteer knows it by this name or by another of a big city
    ("Beograd"); a smaller place's alternate name is too often a first name ("Kamau" is one of
    Cà Mau's). The city is kept as written."""
    city = _city(words)
    if city is None:
        return None
    primary = fold(str(city.meta.get("name") or ""))
    if fold(words)[:3] != primary[:3] and int(city.meta.get("population") or 0) < 500_000:
        return None
    return Statement("city", city.value, words, "en:x-here", name=words, country=city.country)


def _place_after(text: str, pos: int, pattern: str, mode: str, region: str | None) -> Statement | None:
    words: list[str] = []
    end = pos
    while len(words) < 4:
        m = _PLACE_WORD.match(text, end)
        if m is None:
            break
        words.append(m.group(1))
        end = m.end()
    capital = bool(words) and words[0][:1].isupper()
    if not words or words[0] in _STOP_CITY or (not capital and pattern == "en:from"):
        return None  # "from Google", "from him": a bare "from" takes a capitalised place only
    for n in range(len(words), 0, -1):
        raw = " ".join(words[:n])
        if not capital and ((n == 1 and raw.casefold() in _NOT_PLACES) or len(raw) < 4):
            continue
        if n > 1 and capital and not (words[n - 1][:1].isupper()
                                      and all(w[:1].isupper() or w in _PLACE_LINKS for w in words[:n])):
            continue  # "Ciudad de México", "Frankfurt am Main"; not "Lima mostly"
        cc = _country(raw) if raw.casefold() in _country_words() else None
        if cc is not None:
            return Statement("country", cc.value, raw, pattern)
        forms = _slavic_forms(raw) if mode == "slavic" else [raw]
        for form in forms:
            city = (_city(form, region) if region else None) or _city(form)
            if city is not None:
                # the name as written (read back from its inflected form): what an order form
                # beside it says ("Roma", not the gazetteer's "Rome")
                return Statement("city", city.value, raw, pattern, name=form, country=city.country)
    if mode == "residence" and capital:
        return _unknown_place(words, pattern)
    return None


def _unknown_place(words: list[str], pattern: str) -> Statement | None:
    """A place the gazetteer does not know, as written: its capitalised words (up to three,
    "Nowa Wieś", "Santa Rosa de Lima" stops at "de"), not a common word, a weekday, a firm."""
    kept: list[str] = []
    for i, w in enumerate(words):
        if w in _PLACE_LINKS and kept and i + 1 < len(words) and words[i + 1][:1].isupper():
            return None  # "Ciudad de Algo" the gazetteer does not know: its first word alone is not it
        if not w[:1].isupper() or w.casefold() in _NOT_NAMES or w in _STOP_CITY:
            break
        kept.append(w)
    if not kept or len("".join(kept)) < 3:
        return None
    raw = " ".join(kept)
    return Statement("place", fold(raw), raw, pattern, name=raw)


def _places(text: str, region: str | None) -> list[Statement]:
    out: list[Statement] = []
    for m in _PLACE_RE.finditer(text):
        group = m.lastgroup or ""
        pattern, _, mode = _PLACE_INTROS[int(group[1:])]
        st = _place_after(text, m.end(), pattern, mode, region)
        if st is not None:
            out.append(st)
    if not out and (h := _HERE_RE.match(text)) is not None and _is_capitalised(h.group("w")):
        st = _here_place(h.group("w"))
        if st is not None:
            out.append(st)
    return out


# ---- the whole -----------------------------------------------------------------------------

MAX_TEXT = 4000  # a chat line longer than this is a paste, not a person introducing themselves


def self_statements(text: str, region: str | None = None) -> list[Statement]:
    """The names and places ``text`` states about its writer (its quoted parts left out), in
    order of appearance kinds first names then places; ``region``: the country the record
    already points to, preferred among cities of the same name."""
    if not text or len(text) > MAX_TEXT:
        return []
    own = _QUOTED.sub(" … ", text)
    seen: set[tuple[str, str]] = set()
    out: list[Statement] = []
    for st in (*_names(own), *_places(own, region)):
        if (st.kind, st.value) not in seen:
            seen.add((st.kind, st.value))
            out.append(st)
    return out
