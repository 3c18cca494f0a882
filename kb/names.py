"""Recognising the same person, party or metric across articles: comparison forms and keys.

Pure string functions shared by the draft linker (which looks a printed name up by precomputed
keys) and the duplicate checker (which compares records pairwise):

- `fold` is the comparison form of any name: ASCII, lower case, no punctuation.
- `sound_key` folds the romanisation variants of one word together (Tokayev/Tokaev/Tokaiev).
- `person_key`, `surname_key` and `name_keys` are a person's index keys; `likely_same_person`
  decides whether two printed names are one person.
- `party_keys` and `party_mention_keys` are a country's or organisation's keys on both sides of
  a look-up (name, aliases, initials, demonyms).
- `content_stems` and `overlap_score` rank metrics by the content words a sentence shares with
  them.
- `similarity` is Jaro-Winkler over the folded and the sound-keyed forms.

Dependencies, both small and permissively licensed:

- `anyascii` (ISC, pure Python) transliterates to ASCII. A hand table would cover the Latin
  letters NFKD does not decompose (ø ł đ ß æ œ ı) but not Cyrillic, which names from Kazakhstan
  and Russia are printed in (Токаев → Tokaev, Қасым → Qasym); `unidecode` does the same job but
  is GPL, which an MIT project cannot ship.
- `rapidfuzz` (MIT, compiled wheels) computes Jaro-Winkler about a hundred times faster than a
  pure-Python loop, which matters when a duplicate check compares tens of thousands of names; its
  `process.extract`/`cdist` also serve any later fuzzy ranking.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

__all__ = [
    "DEMONYMS",
    "GIVEN_SIMILARITY",
    "SURNAME_SIMILARITY",
    "SYNONYMS",
    "content_stems",
    "fold",
    "likely_same_person",
    "name_keys",
    "overlap_score",
    "party_keys",
    "party_mention_keys",
    "person_key",
    "similarity",
    "sound_key",
    "surname_key",
]


def _words(text: str) -> frozenset[str]:
    # Word lists are written as one string: shorter to read and to extend.
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------
# fold

# A possessive or contraction "’s" names the word before it: "Kazakhstan’s" is Kazakhstan.
# anyascii has already turned ’ ʼ ‘ ´ into "'" and ʻ (Uzbek) into "`".
_POSSESSIVE = re.compile(r"(?<=[a-z0-9])['`]s\b")
# An apostrophe inside a word is part of the name: O’Brien, Oʻzbekiston, Il’yas.
_INNER_APOSTROPHE = re.compile(r"(?<=[a-z0-9])['`]+(?=[a-z0-9])")
# Everything else that is not a letter or digit separates words (hyphens included).
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Return the comparison form of a name: ASCII, lower case, words separated by one space."""
    if not text.isascii():
        # Imported here: most names are ASCII, and anyascii's import costs a command's start-up
        # some 13 ms (importlib.resources).
        from anyascii import anyascii

        # NFKC first so that compatibility forms and combining sequences reach anyascii composed.
        # Azerbaijani ə is romanised "a" (Məmmədova → Mammadova), not anyascii's "e".
        text = unicodedata.normalize("NFKC", text).replace("ə", "a").replace("Ə", "A")
        text = anyascii(text)
    text = text.lower()
    text = _POSSESSIVE.sub("", text)
    text = _INNER_APOSTROPHE.sub("", text)
    return _NON_ALNUM.sub(" ", text).strip()


# ---------------------------------------------------------------------------------------------
# sound_key

_VOWEL = "[aeiouy]"
# Applied in order to a folded word. Each rule merges spellings that romanise one sound of a
# Russian or Kazakh name in different systems (ICAO, BGN/PCGN, French, German, Kazakh Latin).
# None turns one vowel into another, adds or drops an ending, or merges two consonants that
# names contrast, so Ivanov/Ivanova, Berg/Borg, Kim/Kin and Jankauskas/Jankauskiene stay apart.
# Choices: Zhanna = Janna and Kassym-Jomart = Kasym-Zhomart (Ж is printed zh or j); Yerlan =
# Erlan (a word-initial Е is printed ye or e). The price: a few unrelated spellings meet too
# (Leyen and Len both key to "len"), which the caller's similarity check then tells apart.
_SOUND_RULES: tuple[tuple[str, str], ...] = (
    # French Ч: Tchaikovsky = Chaikovsky.
    ("tch", "ch"),
    # German Ш: Schmidt = Shmidt.
    ("sch", "sh"),
    # Дж: Dzhaksybekov = Djaksybekov = Jaksybekov.
    ("dzh|dj", "j"),
    # Ж: Zhanna = Janna, Zhomart = Jomart.
    ("zh", "j"),
    # Х: Mukhtar = Muhtar, Mikhail = Mihail.
    ("kh", "h"),
    # Х as German/Greek ch between vowels: Michail = Mikhail (Chernov keeps its ch).
    (f"(?<={_VOWEL})ch(?={_VOWEL})", "h"),
    # Greek φ: Stephan = Stefan.
    ("ph", "f"),
    # A hard c is k: Victor = Viktor, Nicolai = Nikolai (not before e/i/y/h, not at the end:
    # the c of Petrović is ч).
    ("c(?=[aou]|[b-df-gj-np-tv-xz])", "k"),
    # Alexander = Aleksandr.
    ("x", "ks"),
    # Kazakh Қ: Toqaev = Tokaev, Qasym = Kasym.
    ("q", "k"),
    # German/Polish w for в: Bektenow = Bektenov.
    ("w", "v"),
    # French ou for у: Kouznetsov = Kuznetsov, Iouri = Yuri.
    ("ou", "u"),
    # Й, Ы and the glide of Я/Ю/Е are y or i: Tsoy = Tsoi, Tileuberdy = Tileuberdi.
    ("y", "i"),
    # A word-initial Е is "ye" or "e": Yerlan = Erlan, Yevgeny = Evgeny.
    ("(?<![a-z0-9])ie(?=[a-z])", "e"),
    # A glide between vowels is often not written: Tokayev = Tokaev = Tokaiev,
    # Aliyev = Aliev, Iliyas = Ilyas, Smaiylov = Smailov.
    ("(?<=[aeiou])i(?=[aeiou])", ""),
    # Doubled letters are one sound: Vassilenko = Vasilenko, Kassym = Kasym, Dmitrii = Dmitri.
    (r"([a-z])\1+", r"\1"),
)


def _compile_rule(pattern: str, replacement: str) -> Callable[[str], str]:
    if re.escape(pattern) == pattern:
        # A plain string: str.replace is several times faster than a regular expression.
        return lambda word: word.replace(pattern, replacement)
    regex = re.compile(pattern)
    # Most words need no change, and searching is cheaper than substituting.
    return lambda word: regex.sub(replacement, word) if regex.search(word) else word


_SOUND_STEPS = tuple(_compile_rule(pattern, replacement) for pattern, replacement in _SOUND_RULES)


@lru_cache(maxsize=1 << 16)
def _sound(folded: str) -> str:
    # Names repeat across a collection, so the cache spares most of the regex work.
    for step in _SOUND_STEPS:
        folded = step(folded)
    return folded


def sound_key(word: str) -> str:
    """Return a key equal for the romanisation variants of one word (Tokayev, Tokaev → tokaev)."""
    # Folding again costs little (fold is idempotent), and spares callers a wrong input.
    return _sound(fold(word))


def _sound_form(text: str) -> str:
    return " ".join(_sound(word) for word in fold(text).split())


# ---------------------------------------------------------------------------------------------
# person names

# Titles and honorifics that may open a printed name, folded. Removed from the front, longest
# first and repeatedly ("H.E. Mr", "Deputy Foreign Minister" = "deputy" + "foreign minister").
# Modest on purpose: callers pass a name, not the phrase around it.
_TITLES = _words(
    # Honorifics.
    "mr mrs ms miss mx mister dr prof professor sir dame madam lord lady "
    # Modifiers before a title: "Deputy Foreign Minister" is "deputy" + "foreign minister".
    "deputy vice first acting former senior "
    # Titles.
    "president premier minister ambassador chairman chairwoman chair speaker secretary "
    "commissioner senator governor mayor akim chancellor general king queen prince princess"
) | {
    # "H.E." folds to the part "h e"; "H. E." to the parts "h", "e", joined alike.
    "h e",
    "his excellency",
    "her excellency",
    "prime minister",
    "foreign minister",
    "minister of foreign affairs",
    "secretary general",
    "high representative",
}
_MAX_TITLE_WORDS = max(len(title.split()) for title in _TITLES)
# Particles that belong to the surname after them: Ursula von der Leyen, Charles de Gaulle.
# Not "al"/"el": the Arabic article is usually hyphenated (al-Sisi) and "Al" is also a given name.
_PARTICLES = _words("von van der den de del della di da du la le bin ibn ter dos das do")
# Generational suffixes after a surname: Martin Luther King Jr.
_SUFFIXES = _words("jr sr ii iii")


def _name_parts(name: str) -> tuple[list[str], list[str]]:
    """Split a person's name into folded given-name and surname parts, titles removed."""
    # One part per printed word, so a hyphenated surname (Smith-Jones) stays one surname while a
    # hyphenated given name (Kassym-Jomart) stays before it.
    parts = [part for part in (fold(word) for word in name.split()) if part]
    while len(parts) > 1:
        for size in range(min(_MAX_TITLE_WORDS, len(parts) - 1), 0, -1):
            if " ".join(parts[:size]) in _TITLES:
                del parts[:size]
                break
        else:
            break
    while len(parts) > 1 and parts[-1] in _SUFFIXES:
        parts.pop()
    start = len(parts) - 1
    while start > 0 and parts[start - 1] in _PARTICLES:
        start -= 1
    return parts[:start], parts[start:]


def _keys_of(parts: Iterable[str]) -> str:
    return " ".join(_sound(word) for part in parts for word in part.split())


def person_key(name: str) -> str:
    """Return the sound keys of all a person's words, in order, titles removed."""
    given, surname = _name_parts(name)
    return _keys_of(given + surname)


def surname_key(name: str) -> str:
    """Return the sound key of a person's surname, particles kept (von der Leyen)."""
    return _keys_of(_name_parts(name)[1])


def name_keys(name: str) -> list[str]:
    """Return every key a person record is indexed by, and a mention looked up by: full; surname."""
    given, surname = _name_parts(name)
    return _unique([_keys_of(given + surname), _keys_of(surname)])


def _unique(keys: Iterable[str]) -> list[str]:
    # Ordered, without empty keys: these become rows of an index table.
    return [key for key in dict.fromkeys(keys) if key]


# ---------------------------------------------------------------------------------------------
# similarity


def similarity(a: str, b: str) -> float:
    """Return the Jaro-Winkler similarity in [0, 1] of two names, transliteration-tolerant."""
    # Jaro-Winkler is the usual measure for names: it forgives transpositions and rewards a
    # shared beginning. Taking the better of the folded and the sound-keyed forms scores
    # romanisation variants 1.0 and still sees typos that the keys would not fold.
    return max(
        JaroWinkler.similarity(fold(a), fold(b)),
        JaroWinkler.similarity(_sound_form(a), _sound_form(b)),
    )


# Surnames whose keys differ are one person's only from this similarity up: a typo past the first
# letters of a longer surname scores above it (Vassilenko/Vassilemko 0.98), while Berg/Borg and
# Smailov/Smirnov (0.85) do not.
SURNAME_SIMILARITY = 0.9
# Given names whose keys differ are one person's only from this similarity up (Murat/Marat 0.88).
GIVEN_SIMILARITY = 0.9


def likely_same_person(a: str, b: str) -> bool:
    """Return whether two printed names are likely one person (see the thresholds above)."""
    given_a, surname_a = _name_parts(a)
    given_b, surname_b = _name_parts(b)
    words_a = _keys_of(given_a + surname_a).split()
    words_b = _keys_of(given_b + surname_b).split()
    if not words_a or not words_b:
        return False
    # The same words in another order: "Tokayev Kassym-Jomart", as Russian documents print it.
    if sorted(words_a) == sorted(words_b):
        return True
    key_a, key_b = _keys_of(surname_a), _keys_of(surname_b)
    if key_a != key_b:
        # A fuzzy surname needs the given names to vouch for it; the final letter must agree,
        # since it is what tells Ivanov from Ivanova and Jankauskas from Jankauskiene.
        if not (given_a and given_b and key_a[-1] == key_b[-1]):
            return False
        if JaroWinkler.similarity(key_a, key_b) < SURNAME_SIMILARITY:
            return False
    return _same_given(given_a, given_b)


def _same_given(given_a: list[str], given_b: list[str]) -> bool:
    # A mention by surname alone fits any given name.
    if not given_a or not given_b:
        return True
    first_a, first_b = given_a[0].split()[0], given_b[0].split()[0]
    # An initial fits a given name starting with it: "K. Tokayev"; "Yerlan Karin" is "Y. Karin"
    # as printed and "E. Karin" as keyed (the key drops the Y).
    if len(first_a) == 1 or len(first_b) == 1:
        return first_a[0] == first_b[0] or _sound(first_a)[0] == _sound(first_b)[0]
    key_a, key_b = _sound(first_a), _sound(first_b)
    return key_a == key_b or JaroWinkler.similarity(key_a, key_b) >= GIVEN_SIMILARITY


# ---------------------------------------------------------------------------------------------
# parties

# Demonyms and adjectives, folded, to the folded name of the country or organisation they name:
# Central Asia and its neighbours, the Caucasus, the EU, its members and a few other partners
# that news from the region names. A party record matches a demonym when its name or one of its
# aliases is the value here, so a record "Türkiye" with the alias "Turkey" matches "Turkish".
DEMONYMS: dict[str, str] = {
    # Central Asia.
    "kazakh": "kazakhstan",
    "kazakhstani": "kazakhstan",
    "uzbek": "uzbekistan",
    "uzbekistani": "uzbekistan",
    "kyrgyz": "kyrgyzstan",
    "kirghiz": "kyrgyzstan",
    "kyrgyzstani": "kyrgyzstan",
    "tajik": "tajikistan",
    "tajikistani": "tajikistan",
    "turkmen": "turkmenistan",
    "turkmenistani": "turkmenistan",
    # The Caucasus.
    "azerbaijani": "azerbaijan",
    "azeri": "azerbaijan",
    "armenian": "armenia",
    "georgian": "georgia",
    # Neighbours and partners.
    "russian": "russia",
    "chinese": "china",
    "mongolian": "mongolia",
    "afghan": "afghanistan",
    "iranian": "iran",
    "turkish": "turkey",
    "ukrainian": "ukraine",
    "belarusian": "belarus",
    "moldovan": "moldova",
    "american": "united states",
    "british": "united kingdom",
    "japanese": "japan",
    "indian": "india",
    "pakistani": "pakistan",
    "norwegian": "norway",
    "swiss": "switzerland",
    "soviet": "soviet union",
    # The European Union and its members.
    "european": "european union",
    "austrian": "austria",
    "belgian": "belgium",
    "bulgarian": "bulgaria",
    "croatian": "croatia",
    "croat": "croatia",
    "cypriot": "cyprus",
    "czech": "czechia",
    "danish": "denmark",
    "dane": "denmark",
    "estonian": "estonia",
    "finnish": "finland",
    "finn": "finland",
    "french": "france",
    "german": "germany",
    "greek": "greece",
    "hungarian": "hungary",
    "irish": "ireland",
    "italian": "italy",
    "latvian": "latvia",
    "lithuanian": "lithuania",
    "luxembourgish": "luxembourg",
    "luxembourger": "luxembourg",
    "maltese": "malta",
    "dutch": "netherlands",
    "polish": "poland",
    "pole": "poland",
    "portuguese": "portugal",
    "romanian": "romania",
    "slovak": "slovakia",
    "slovakian": "slovakia",
    "slovenian": "slovenia",
    "slovene": "slovenia",
    "spanish": "spain",
    "spaniard": "spain",
    "swedish": "sweden",
    "swede": "sweden",
}


def _adjectives_of(demonyms: dict[str, str]) -> dict[str, tuple[str, ...]]:
    # The reverse of DEMONYMS, for the index side: a party's name to the words that name it.
    reverse: dict[str, tuple[str, ...]] = {}
    for adjective, name in demonyms.items():
        reverse[name] = (*reverse.get(name, ()), adjective)
    return reverse


_ADJECTIVES_OF = _adjectives_of(DEMONYMS)

# Words that initials skip: "Organization of Turkic States" is OTS.
_INITIALS_SKIP = _words("of the and for in on at to de du des la le et")


def _party_forms(text: str) -> list[str]:
    """Return a party name's folded form without a leading "the", and "u s" as "us"."""
    folded = fold(text)
    if folded.startswith("the "):
        folded = folded[4:]
    words = folded.split()
    # A dotted acronym folds to single letters: "E.U." is "e u", looked up as "eu".
    if len(words) > 1 and all(len(word) == 1 for word in words):
        return [folded, "".join(words)]
    return [folded]


def _initials(folded: str) -> str:
    words = [word for word in folded.split() if word not in _INITIALS_SKIP]
    # One word has no useful initials; a one-letter key would match anything.
    return "".join(word[0] for word in words) if len(words) > 1 else ""


def party_keys(name: str, aliases: Iterable[str] = ()) -> list[str]:
    """Return every key a party record is indexed by: name, aliases, initials and demonyms."""
    names = [form for text in (name, *aliases) for form in _party_forms(text)]
    initials = [_initials(folded) for folded in names]
    demonyms = [adjective for folded in names for adjective in _ADJECTIVES_OF.get(folded, ())]
    return _unique([*names, *initials, *demonyms])


def party_mention_keys(phrase: str) -> list[str]:
    """Return the keys to look a printed party up by ("Kazakh", "the EU", "Kazakhstan’s")."""
    keys = _party_forms(phrase)
    folded = keys[0]
    # A plural demonym names the country too: "Kazakhs", "Germans".
    if folded not in DEMONYMS and folded.endswith("s") and folded[:-1] in DEMONYMS:
        folded = folded[:-1]
    if folded in DEMONYMS:
        keys += [folded, DEMONYMS[folded]]
    return _unique(keys)


# ---------------------------------------------------------------------------------------------
# metrics

# Function words, and the scale words of figures (a number is not what a metric measures).
_STOP_WORDS = _words(
    """
    a about above after again against all almost also am among an and any are as at be been
    before being below between both but by can could did do does during each either for from
    had has have he her here hers him his how i if in into is it its itself just least less
    may me might more most much must my nearly neither no nor not of off on once only or other
    our out over own per same she should since so some such than that the their them then
    there these they this those through to too under until up upon very via was we were what
    when where which while who whom whose why will with within without would you your
    million billion trillion thousand hundred bn mln
    """
)
# Words that name the same thing in a metric's wording and in a sentence, as written (they are
# stemmed at import, so plurals and verb forms follow): "external trade" is foreign trade,
# "29.8 percent of trade" is a share of it, "EU" and "European" name one party.
SYNONYMS: dict[str, str] = {
    "external": "foreign",
    "overseas": "foreign",
    "commerce": "trade",
    "capital": "investment",
    "invest": "investment",
    "fdi": "investment",
    "percent": "share",
    "percentage": "share",
    "cent": "share",
    "proportion": "share",
    "european": "eu",
    "europe": "eu",
    # "The bloc" is how news copy names the EU on second mention.
    "bloc": "eu",
    "annual": "year",
    "yearly": "year",
    "annually": "year",
    "growth": "grow",
    "grew": "grow",
}
_VOWELS = frozenset("aeiouy")


def _stem(word: str) -> str:
    """Strip a plural, an -ing or -ed and a final e, so that word forms share one stem."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and not word.endswith("eed") and _VOWELS.intersection(stem):
            if len(stem) >= 3:
                # "shipping" → "ship", but "selling" → "sell".
                if stem[-1] == stem[-2] and stem[-1] not in "lsz":
                    stem = stem[:-1]
                word = stem
            break
    # Dropping a final e lets "trade", "trades", "trading" and "traded" meet at "trad".
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


_SYNONYM_STEMS = {_stem(word): _stem(canonical) for word, canonical in SYNONYMS.items()}


def content_stems(text: str) -> frozenset[str]:
    """Return the stems of a phrase's content words, synonyms mapped, for `overlap_score`."""
    stems = set()
    for word in fold(text).split():
        # Numbers are the figure, not what it measures; one letter is an initial or a unit.
        if len(word) < 2 or word in _STOP_WORDS or not word.isalpha():
            continue
        stem = _stem(word)
        stems.add(_SYNONYM_STEMS.get(stem, stem))
    return frozenset(stems)


def overlap_score(wanted: frozenset[str], found: frozenset[str]) -> float:
    """Return in [0, 1] how well `found` (a sentence's stems) attests `wanted` (a metric's)."""
    # The share of the metric's stems the sentence has (a sentence says much besides the metric,
    # so its other words must not count against it), times matched/(matched+1) so that more
    # evidence ranks higher: a metric met on 3 of 3 stems (0.75) beats one met on 2 of 2
    # (0.67) or on 1 of 1 (0.5), and 3 of 4 (0.56) beats 1 of 2 (0.25). Asymmetric: to compare
    # two metrics with each other, take the smaller of both directions.
    if not wanted:
        return 0.0
    matched = len(wanted & found)
    return matched / len(wanted) * matched / (matched + 1)
