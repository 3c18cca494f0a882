"""Word lists the extractor relies on: roles, speech and event verbs, currencies, numbers."""

from __future__ import annotations


def word_set(words: str) -> frozenset[str]:
    """The words of a space-separated list, as a set (lists read better as one string)."""
    return frozenset(words.split())


def word_list(words: str) -> tuple[str, ...]:
    """The words of a space-separated list, in order."""
    return tuple(words.split())


# Verbs (and phrases) that attribute words to a speaker.
SPEECH_VERBS = word_list(
    "said says say added adds told tells noted notes stressed stresses emphasised emphasized "
    "explained explains stated declared remarked recalled recalls warned warns insisted insists "
    "argued argues observed commented continued concluded acknowledged admitted announced "
    "replied asked underlined highlighted wrote writes predicted promised confirmed claimed "
    "suggested urged vowed described called calls pointed reported reports underscored "
    "underscores reiterated reiterates assured assures mentioned informed briefed"
)

# Nouns that name a role or office; a name next to one is a person's name.
ROLE_NOUNS = word_set(
    "ambassador president minister director mayor chair chairman chairwoman chairperson "
    "spokesman spokeswoman spokesperson head chief executive secretary secretary-general "
    "commissioner governor chancellor senator deputy envoy consul premier leader founder "
    "co-founder manager officer adviser advisor analyst economist professor researcher guide "
    "lawyer judge king queen prince princess captain coach editor correspondent curator "
    "engineer farmer teacher doctor nurse official representative vice-president "
    "director-general ceo cfo prosecutor general mp akim ombudsman diplomat striker goalkeeper "
    "midfielder defender player athlete referee journalist reporter activist campaigner student "
    "resident author writer artist actor musician architect soldier commander colonel detective "
    "inspector epidemiologist scientist physician surgeon historian lecturer principal "
    "headteacher owner partner entrepreneur banker trader consultant strategist negotiator "
    "rector bishop priest imam rabbi treasurer"
)
# Role nouns in the plural, for "mayors Erik Lund and Vera Kostic".
ROLE_PLURALS = word_set(
    "ambassadors presidents ministers directors mayors leaders envoys officials governors "
    "chairs senators"
)
# Words that may come before a role noun inside a title, even in lower case.
TITLE_MODIFIERS = word_set(
    "deputy vice chief executive foreign prime general senior acting former first assistant "
    "associate managing"
)
# Honorifics before a name: a name follows, the honorific is not part of it.
HONORIFICS = word_set("mr mrs ms miss dr prof sir dame madam mx")
# Lower-case particles inside names (Ursula von der Leyen).
NAME_PARTICLES = word_set(
    "von van der den de del della dalla dal degli delle di da du la le bin ibn al el ter ten dos"
    " das zu af"
)
# Words capitalised only because they open a sentence or clause: never part of a name or title.
FUNCTION_WORDS = word_set(
    "the a an this that these those it its he she they we our their his her in on at of for "
    "and or but with by from to as after before under over during since when while if last "
    "next according however meanwhile also today yesterday tomorrow there here every all some "
    "most many both several few others thus"
)
# Capitalised words that mark an organization, a place or a date, never a person's name.
NOT_NAME_WORDS = FUNCTION_WORDS | word_set(
    "union bank ministry council commission company group agency authority museum university "
    "airlines airways electronics port mount city republic kingdom federation fund forum "
    "committee parliament government times news association institute corporation inc ltd "
    "administration customs street square river lake sea ocean coast nord north south east west "
    "central national "
    "international european asian african american party court office embassy school "
    "hospital station airport center centre organization organisation department service "
    "services bureau agreement treaty summit conference day week month year monday tuesday "
    "wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december officials authorities organisers organizers "
    "analysts critics experts residents lawmakers diplomats sources police observers "
    "investors economists workers scientists witnesses protesters campaigners parents reports "
    # News agencies and outlets, often the subject of "said" or "according to".
    "reuters ap afp bloomberg interfax tass xinhua kazinform ria anadolu efe dpa ansa kyodo "
    "yonhap bbc cnn trend akipress"
)
PRONOUNS = {"he": "he", "she": "she", "they": "they", "him": "he", "her": "she"}

# Event triggers: (kind, regular expression). Where two overlap, the earlier kind wins.
_NOT_MET = r"(?! (?:the |its |all |their |our )?(?:target|goal|demand|standard|requirement|need"
_NOT_MET += r"|criteri|deadline|expectation))"
_MODAL = r"(?:will|would|to|shall|could|can|may|might|must)"
# Gatherings one holds or hosts.
_GATHERINGS = (
    r"(?:fair|conference|summit|meeting|consultation|election|referendum|ceremony|festival|forum"
    r"|exhibition|vote|hearing|session|celebration|concert|parade|exercise|games|championship)s?\b"
)
# "plans to" is a verb after its subject, not a noun after an article or a preposition.
_NOT_NOUN = "".join(
    rf"(?<!\b{word} )" for word in word_list("a the its their his her our against of on for to")
)
EVENT_TRIGGERS = (
    (
        "entry_into_force",
        r"\b(?:enter(?:s|ed|ing)?|c(?:o|a)mes?|coming) into (?:full )?(?:force|effect)"
        r"|\bt(?:ake|akes|ook|aking|aken) effect|\bin full force",
    ),
    ("anniversary", r"\banniversary"),
    ("celebration", r"\bcelebrations?\b|\bcelebrat(?:e|es|ed|ing)\b|\bfestivities\b"),
    (
        "signing",
        rf"\bsign(?:ed|ing)\b|\b{_MODAL} sign\b|\bsigns? (?:a|an|the)\b|\bink(?:s|ed)\b"
        r"|\bconclud(?:e|es|ed|ing) (?:a|an|the) (?:[\w-]+ ){0,3}?"
        r"(?:agreement|deal|treaty|contract|memorandum)",
    ),
    (
        "visit",
        r"\bvisit(?:ed|ing)?\b|\bvisits\b(?= (?:to\b|[A-Z]))"
        r"|\barriv(?:e|es|ed|ing) in\b(?! (?:\d|(?:January|February|March|April|May|June|July"
        r"|August|September|October|November|December)\b))"
        r"|\btour(?:s|ed|ing)?\b(?! operator)|\btrip to\b|\btravel(?:s|led|ed|ling|ing)? to\b",
    ),
    (
        "meeting",
        rf"\bmet\b{_NOT_MET}|\b{_MODAL} meet\b{_NOT_MET}|\bmeeting\b{_NOT_MET}"
        r"|\b(?:held|hold|holds|holding) (?:[\w-]+ ){0,2}?(?:talks|consultations|negotiations)\b"
        r"|\btalks with\b|\bsummit\b(?! of (?:Mount|Mt)\b)",
    ),
    (
        "establishment",
        rf"\bestablish(?:es|ed|ing)?\b|\bfounded\b|\bset(?:s|ting)? up\b"
        rf"|\b{_MODAL}(?: also| soon| now| officially)? open\b"
        r"|\bopen(?:s|ed|ing)\b(?! (?:the |a )?(?:way|door|fire|ceremony)s?\b)"
        rf"|\blaunch(?:es|ed|ing)?\b|\b{_MODAL}(?: also| soon| now| officially)? launch\b"
        r"|\binaugurat(?:e|es|ed|ing)\b"
        r"|\bcreat(?:e|es|ed|ing) (?:a|an|the) (?:[\w-]+ ){0,2}?"
        r"(?:commission|agency|fund|council|office|company|centre|center|body|committee)",
    ),
    (
        "other",
        r"\bratif(?:y|ies|ied|ying)\b|\bapprov(?:e|es|ed|ing)\b|\badopt(?:s|ed|ing)?\b"
        r"|\breopen(?:s|ed|ing)?\b|\bhand(?:s|ed)? (?:back|over)\b|\breturn(?:s|ed)\b(?= to)"
        rf"|\bordered\b(?! to\b)|\b{_MODAL} order\b|\breach(?:es|ed)? the summit"
        r"|(?<!records )\b(?:begin|begins|began|start|starts|started)\b"
        rf"(?= (?:in|on|next|this|work|construction|operations?)\b)"
        rf"|\b{_MODAL} (?:begin|start)\b(?! with\b)"
        r"|\benter(?:s|ed)? service|\b(?:jailed|sentenced|convicted|acquitted|arrested)\b"
        r"|\bwon (?:the|a|an|their|his|her|its)\b"
        rf"|\b{_MODAL} (?:hold|host) (?:a|an|the|its|their|his|her|our) (?:[\w-]+ ){{0,3}}?"
        rf"{_GATHERINGS}"
        rf"|{_NOT_NOUN}\bplans? to\b|\belect(?:s|ed)\b|\b(?:{_MODAL} be|was|were) held\b"
        r"|\b(?:go|goes|went|gone) on (?:display|show|sale)\b"
        r"|\breach(?:es|ed)? (?:a|an) (?:[\w-]+ ){0,2}?(?:deal|agreement|settlement|compromise)"
        r"|\bappoint(?:s|ed)\b|\bresign(?:s|ed)\b|\bto arrive\b"
        r"|\b(?:held|hold|holds|holding) (?:a |an |the )?(?:joint )?(?:press|news)"
        r" (?:conference|briefing)"
        r"|\bat a joint (?:press|news) conference\b"
        r"|\bannounc(?:ed|es|e) (?:a|an|the) (?:[\w€$£.,-]+ ){0,4}?"
        r"(?:package|plan|programme|program|initiative|strategy|fund|deal)\b"
        r"|\bagree(?:d|s)? to\b",
    ),
)
# Words that show a happening is still to come.
PLANNED_CUES = (
    r"\b(?:will|would|shall|plans?|planned|planning|expects?|expected|scheduled|set to|going to"
    r"|intends?|is to|are to|upcoming|proposed|due to)\b|’ll\b|'ll\b"
)
# Nouns that, before "anniversary", make the happening a celebration of it.
CELEBRATION_NOUNS = (
    r"\b(?:events?|celebrations?|ceremon(?:y|ies)|concerts?|festivals?|receptions?)\b"
)

# Currencies: symbols and codes before a number, names after it.
CURRENCY_SYMBOLS = {
    "US$": "USD",
    "A$": "AUD",
    "AU$": "AUD",
    "C$": "CAD",
    "CA$": "CAD",
    "HK$": "HKD",
    "NZ$": "NZD",
    "S$": "SGD",
    "R$": "BRL",
    "NT$": "TWD",
    "MX$": "MXN",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₽": "RUB",
    "₸": "KZT",
    "₩": "KRW",
    "₺": "TRY",
    "₴": "UAH",
    "₦": "NGN",
    "₪": "ILS",
}
CURRENCY_CODES = word_set(
    "USD EUR GBP JPY CNY CHF CAD AUD NZD HKD SGD KZT RUB UAH PLN CZK HUF SEK NOK DKK ISK TRY "
    "INR PKR BDT LKR NPR IDR MYR THB VND PHP KRW TWD BRL MXN ARS CLP COP PEN ZAR NGN KES EGP "
    "MAD AED SAR QAR KWD BHD OMR ILS IRR IQD UZS KGS TJS TMT AZN GEL AMD BYN MDL RON BGN RSD "
    "BAM MKD"
)
# Currency names after a number. A name several countries use maps to its most common code,
# unless a word naming one of the other countries occurs in the article (CURRENCY_CUES).
CURRENCY_NAMES = {
    "dollar": "USD",
    "dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "pounds sterling": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "ruble": "RUB",
    "rubles": "RUB",
    "rouble": "RUB",
    "roubles": "RUB",
    "tenge": "KZT",
    "rupee": "INR",
    "rupees": "INR",
    "franc": "CHF",
    "francs": "CHF",
    "swiss francs": "CHF",
    "krona": "SEK",
    "kronor": "SEK",
    "kroner": "NOK",
    "krone": "NOK",
    "lev": "BGN",
    "leva": "BGN",
    "lei": "RON",
    "koruna": "CZK",
    "korunas": "CZK",
    "crowns": "CZK",
    "forint": "HUF",
    "forints": "HUF",
    "zloty": "PLN",
    "zlotys": "PLN",
    "hryvnia": "UAH",
    "hryvnias": "UAH",
    "lira": "TRY",
    "liras": "TRY",
    "rand": "ZAR",
    "naira": "NGN",
    "shilling": "KES",
    "shillings": "KES",
    "dirham": "AED",
    "dirhams": "AED",
    "dinar": "KWD",
    "dinars": "KWD",
    "riyal": "SAR",
    "riyals": "SAR",
    "peso": "MXN",
    "pesos": "MXN",
    "real": "BRL",
    "reais": "BRL",
    "won": "KRW",
    "ringgit": "MYR",
    "baht": "THB",
    "rupiah": "IDR",
    "shekel": "ILS",
    "shekels": "ILS",
    "som": "KGS",
    "soms": "KGS",
    "sum": "UZS",
    "manat": "AZN",
    "lari": "GEL",
    "dram": "AMD",
}
CURRENCY_CUES = {
    "AED": "uae, emirates, emirati, dubai, abu dhabi, sharjah",
    "MAD": "morocco, moroccan, casablanca, rabat, marrakesh, marrakech, tangier",
    "DKK": "denmark, danish, copenhagen",
    "NOK": "norway, norwegian, oslo",
    "ISK": "iceland, icelandic, reykjavik",
    "CNY": "china, chinese, beijing, yuan, renminbi",
    "PKR": "pakistan, pakistani, karachi, islamabad, lahore",
    "LKR": "sri lanka, sri lankan, colombo",
    "NPR": "nepal, nepalese, kathmandu",
    "EGP": "egypt, egyptian, cairo",
    "ARS": "argentina, argentine, buenos aires",
    "CLP": "chile, chilean",
    "COP": "colombia, colombian, bogota",
    "PHP": "philippines, philippine, filipino, manila",
    "IQD": "iraq, iraqi, baghdad",
    "JOD": "jordan, jordanian, amman",
    "QAR": "qatar, qatari, doha",
    "TMT": "turkmenistan, turkmen, ashgabat",
}
# Which codes a name may stand for, beyond its default.
CURRENCY_ALTERNATIVES = {
    "AED": ("MAD",),
    "NOK": ("DKK",),
    "SEK": ("ISK",),
    "JPY": ("CNY",),
    "INR": ("PKR", "LKR", "NPR"),
    "GBP": ("EGP",),
    "MXN": ("ARS", "CLP", "COP", "PHP"),
    "KWD": ("IQD", "JOD"),
    "SAR": ("QAR",),
    "AZN": ("TMT",),
}
SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mln": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bln": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "trn": 1e12,
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
}
FRACTIONS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fifth": 5,
    "fifths": 5,
    "sixth": 6,
    "tenth": 10,
    "tenths": 10,
}
MULTIPLIER_VERBS = {
    "doubled": 2.0,
    "doubling": 2.0,
    "doubles": 2.0,
    "double": 2.0,
    "tripled": 3.0,
    "tripling": 3.0,
    "triples": 3.0,
    "triple": 3.0,
    "trebled": 3.0,
    "quadrupled": 4.0,
    "quadrupling": 4.0,
    "halved": 0.5,
    "halving": 0.5,
    "halve": 0.5,
}
# Hedges before a number, longest first so "more than" wins over "more".
QUALIFIERS = (
    ("more than", "more_than"),
    ("in excess of", "more_than"),
    ("upwards of", "more_than"),
    ("just over", "more_than"),
    ("exceeded", "more_than"),
    ("exceeding", "more_than"),
    ("exceeds", "more_than"),
    ("exceed", "more_than"),
    ("over", "more_than"),
    ("above", "more_than"),
    ("at least", "at_least"),
    ("no less than", "at_least"),
    ("no fewer than", "at_least"),
    ("a minimum of", "at_least"),
    ("up to", "at_most"),
    ("at most", "at_most"),
    ("no more than", "at_most"),
    ("a maximum of", "at_most"),
    ("less than", "less_than"),
    ("fewer than", "less_than"),
    ("under", "less_than"),
    ("below", "less_than"),
    ("almost", "almost"),
    ("nearly", "almost"),
    ("just under", "almost"),
    ("close to", "about"),
    ("about", "about"),
    ("around", "about"),
    ("approximately", "about"),
    ("roughly", "about"),
    ("some", "about"),
    ("an estimated", "about"),
    ("estimated", "about"),
    ("circa", "about"),
)
# Units of time: "30 years" is a duration, not a count.
TIME_UNITS = word_set(
    "second seconds minute minutes hour hours day days week weeks month months year years "
    "decade decades century centuries night nights season seasons quarter quarters"
)
# Words that end a counted noun phrase.
PHRASE_STOPS = word_set(
    "of the a an and or but in on at to for from with by about over under into across since "
    "after before between among during through including worth valued each per than as that "
    "which who whose were are was is be been have has had will would could should can may "
    "might must this these those its their his her our your more less fewer higher lower "
    "larger smaller bigger shorter longer faster slower cheaper older younger greater better "
    "worse up down now so while whereas plus"
)
# Irregular plurals that can be counted.
COUNT_PLURALS = word_set(
    "people children men women staff police cattle sheep fish personnel livestock crew data media"
)
# Words near an amount without a currency that show it is money.
MONEY_CONTEXT = (
    r"invest|spen[dt]|cost|fund|budget|worth|paid|pay|loan|lent|lend|grant|revenue|turnover|"
    r"earn|sales|price|profit|valu|export|import|deal|debt|subsid|financ|capital|aid"
)
# Month and weekday names: capitalised, but never the name of a party.
MONTHS_AND_DAYS = word_set(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
)
