"""Nicknames and short forms -> the given name they stand for, folded (``fold``), so that
``Bill Smith`` and ``William Smith`` compare as the same first name. Extend freely: a wrong
entry only ever makes two first names look alike, which the other fields still have to confirm.
"""

from __future__ import annotations

_TABLE: dict[str, tuple[str, ...]] = {
    # English
    "william": ("bill", "will", "billy", "willy", "liam"), "robert": ("bob", "rob", "bobby", "robbie", "bert"),
    "elizabeth": ("liz", "beth", "lizzie", "betty", "eliza", "libby"), "katherine": ("kate", "kathy", "katie", "kat"),
    "catherine": ("cathy", "cath", "cate"), "michael": ("mike", "mick", "mikey", "mickey"),
    "james": ("jim", "jimmy", "jamie"), "richard": ("rick", "dick", "rich", "ricky", "richie"),
    "joseph": ("joe", "joey", "jo"), "thomas": ("tom", "tommy"), "charles": ("charlie", "chuck", "chas"),
    "daniel": ("dan", "danny"), "matthew": ("matt", "matty"), "anthony": ("tony",), "andrew": ("andy", "drew"),
    "steven": ("steve", "stevie"), "stephen": ("steve", "stevie"), "joshua": ("josh",), "kenneth": ("ken", "kenny"),
    "jennifer": ("jen", "jenny", "jenn"), "margaret": ("maggie", "peggy", "meg", "marge"),
    "patricia": ("pat", "patty", "trish", "tricia"), "rebecca": ("becky", "becca"), "susan": ("sue", "susie"),
    "kimberly": ("kim",), "jessica": ("jess", "jessie"), "david": ("dave", "davy"), "christopher": ("chris",),
    "nicholas": ("nick", "nicky"), "alexander": ("alex", "sasha", "sandy"), "benjamin": ("ben", "benny"),
    "samuel": ("sam", "sammy"), "edward": ("ed", "eddie", "ted", "ned"), "timothy": ("tim", "timmy"),
    "jonathan": ("jon",), "gregory": ("greg",), "samantha": ("sam",), "victoria": ("vicky", "tori"),
    "barbara": ("barb", "babs"), "nancy": ("nan",), "deborah": ("deb", "debbie"), "pamela": ("pam",),
    "christine": ("chris", "tina"),
    # German / Dutch / Nordic
    "maximilian": ("max",), "katharina": ("kathi", "katja"), "tobias": ("tobi",), "andreas": ("andi",),
    "johannes": ("hans", "jan", "johan"), "wolfgang": ("wolf",), "pieter": ("piet",), "cornelis": ("kees",),
    # Romance
    "francisco": ("paco", "pancho", "curro", "fran"), "jose": ("pepe", "ze"), "manuel": ("manolo",),
    "alejandro": ("alex", "ale"), "fernando": ("nando",), "antonio": ("tono", "toni"), "dolores": ("lola",),
    "guadalupe": ("lupe",), "jesus": ("chucho", "chuy"), "giuseppe": ("beppe", "peppe", "pino"),
    "giovanni": ("gianni", "nino"), "alessandro": ("sandro", "alex"), "francesco": ("franco", "cesco"),
    "salvatore": ("toto",), "vincenzo": ("enzo",),
    # Slavic (folded transliterations)
    "aleksandr": ("sasa", "sasha", "shura"), "aleksandra": ("sasa", "sasha"), "dmitrij": ("dima",),
    "dmitry": ("dima",), "dmitrii": ("dima",), "aleksej": ("lesa", "lesha", "alesha"), "aleksey": ("lesha", "lyosha"),
    "mihail": ("misa", "misha"), "mikhail": ("misha",), "nikolaj": ("kola", "kolya"), "nikolay": ("kolya",),
    "ivan": ("vana", "vanya"), "evgenij": ("zena", "zhenya"), "evgeny": ("zhenya",), "elena": ("lena",),
    "natalia": ("natasa", "natasha"), "natalya": ("natasha",), "natal'a": ("natasa",), "tatiana": ("tana", "tanya"),
    "tatyana": ("tanya",), "ekaterina": ("kata", "katya", "katia"), "maria": ("masa", "masha", "mary"),
    "ulia": ("ula", "yulya"), "yulia": ("yulya",), "julia": ("julie",), "sergej": ("seroza", "serezha"),
    "malgorzata": ("gosia", "gosha"), "katarzyna": ("kasia", "kasha"), "krzysztof": ("krzysiek", "krzys"),
    "agnieszka": ("aga",), "aleksander": ("olek",),
    # West African / Arabic
    "oluwaseun": ("seun",), "funmilayo": ("funmi",), "mohamed": ("mido", "mo"), "muhammad": ("mo",),
}

NICKNAMES: dict[str, tuple[str, ...]] = {}
for _name, _nicks in _TABLE.items():
    for _nick in _nicks:
        NICKNAMES[_nick] = (*NICKNAMES.get(_nick, ()), _name)


def first_forms(name: str) -> list[str]:
    """A (folded) first name and every given name it may be short for: compared by overlap, so
    ``alex`` meets ``alexander`` and ``alejandro`` without either meeting the other."""
    return [name, *NICKNAMES.get(name, ())]
