"""Names for the metrics a draft makes: what is measured, never who measures it or a verb.

- The words of the figure's clause before its verb, without the figure's subject: "Kazakh
  grain exports to the EU reached 1.2 million tonnes" → "Grain exports to the EU".
- A party acting with a money verb: "The European Union will make €1.5 billion available for
  transport projects" → "EU transport financing"; on a count, with another verb: "The EU funds
  48 projects" → "EU-funded projects".
- A share: its holder and base ("EU share of external trade"); a growth or change: of what
  the sentence measures ("Change in trade turnover with the EU"); a count: the thing counted
  and its complement ("Companies with European capital").

A name is kept only if it has a content word that is no party's name or adjective and not a
verb form alone ("EU" and "reaching" are not names of metrics).
"""

from __future__ import annotations

import re

from kb.draft.figures import Figure
from kb.draft.lexicon import SPEECH_VERBS, word_set
from kb.draft.linking.parties import Mention
from kb.names import DEMONYMS, content_stems, fold

NAME_MAX = 300

_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|could|can|may|might|should|must|reached"
    r"|reach|reaches|rose|grew|fell|totall?ed|exceeded|accounts?|accounted|amounted|stood"
    r"|increased|decreased|invested|invests?|earned|lent|spent|costs?|went|covered|covers"
    r"|made|makes?|approved|raised|cut|traded|carried|employs?|uses?|lost|expects?|issued"
    r"|returned|led|came|comes|climbed|funds|funded|finances|financed|provides?|provided"
    r"|allocated|allocates?|pledged|pledges?|committed|commits|offers?|offered|operates?"
    r"|hold|holds|held|support|supports|supported|export|exports|exported|import|imports"
    r"|imported|received|receives?|attracted|attracts?)\b"
)
# Verb forms that are plural nouns too: a noun when a preposition follows ("grain exports to
# the EU"), a verb otherwise ("the EU funds 48 projects").
_NOUN_TOO = word_set("exports imports funds costs uses holds offers supports pledges")
_PREPOSITIONS = word_set("to of from with for in into by on at")
# "He said (that) …", "the ministry reported": the attribution before what is reported.
_SPEECH = "|".join(sorted(SPEECH_VERBS, key=len, reverse=True))
_SAID = re.compile(
    rf"^.*?\b(?:(?:{_SPEECH})(?:\s+out)?|told\s+\w+|noting|saying|adding|stressing"
    r"|pointing\s+out|recalling|explaining|reporting|according\s+to\s+[^,]+,)(?:\s+that)?\s+"
)
# A time adverbial opening a clause: "Over the past three years, …".
_TIME_LEAD = re.compile(
    r"^(?:over|in|during|for|within)\s+the\s+(?:past|last|next|first)\s+(?:\w+\s+)?"
    r"(?:years?|months?|decades?|weeks?|quarters?)\s*,?\s*",
    re.IGNORECASE,
)
# Words that make a name a clause rather than a thing measured.
_PRONOUN_WORDS = word_set("we he she they it i you who whom")
_CLAUSE_WORDS = _PRONOUN_WORDS | word_set("with that")
_CONJUNCTIONS = word_set("while and but whereas which that as so")
_MEASURE_WORDS = word_set("amount amounts indicators indicator volume value level total")
_PLACE_OR_TIME = word_set("into in within over during since across throughout at")
_MODALS = word_set("is are was were has have had will would could can may might should must")
_ADVERBS = word_set("now currently also already still just only alone together")
_LEAD = word_set("the a an some about around almost nearly over more than this that its down up")
_PRONOUNS = word_set("it they we he she this that these those there i you")
_DATE_WORDS = word_set("last year years month months week next this previous past ago decade")
# What a party does with money, as a noun: "invested" → "investment".
_MONEY_NOUNS = {
    "invest": "investment",
    "lend": "lending",
    "lent": "lending",
    "spend": "spending",
    "spent": "spending",
    "earn": "earnings",
    "export": "exports",
    "import": "imports",
    "trade": "trade",
    "attract": "investment attracted",
    "receive": "receipts",
}
_FINANCING = word_set(
    "provide make made allocate fund finance grant pledge commit give offer raise"
)
_IRREGULAR = {
    "build": "built", "hold": "held", "held": "held", "run": "run", "make": "made",
    "made": "made", "give": "given", "lend": "lent", "lent": "lent", "spend": "spent",
}  # fmt: skip
# Stems that lost their final e to the -ed/-s strip ("provided" → "provid" → "provide").
_FINAL_E = word_set("provid financ mad allocat rais receiv operat trad pledg giv")
_GERUNDS = word_set("financing funding lending spending shipping")
# Words of party names that say nothing about what is measured.
_PARTY_WORDS = word_set("union european states countries")
_COUNTRIES = frozenset(DEMONYMS.values())
# "with Uzbekistan accounting", "machinery and electronics making": the holder of a share
# without the clause's opening preposition and its participle.
_HOLDER_EDGES = re.compile(r"^(?:with|as|and)\s+|\s+\w+ing$", re.IGNORECASE)
_TOTAL = re.compile(r"(?:the\s+)?(?:total|whole|overall total)", re.IGNORECASE)
_PURPOSE = re.compile(
    r"\bfor\s+(?:the\s+|new\s+)?(?P<what>[a-z][a-z-]+(?:\s+[a-z][a-z-]+)?)\s+"
    r"(?:projects?|programmes?|programs?|schemes?|links?|sector)\b"
)


def name_metric(
    text: str,
    figure: Figure,
    clause: tuple[int, int],
    subject: Mention | None,
    mentions: list[Mention],
    earlier: str = "",
) -> str:
    """A name for what a figure measures (see the module docstring). `earlier` is what an
    earlier figure of the sentence measures: a change with nothing before it in its clause
    ("…reached $48.2 billion, up 14%") is a change of that."""
    low = clause[0]
    phrase, verb = _subject_and_verb(text[low : figure.start])
    if not phrase and earlier and figure.kind in ("change", "multiplier"):
        phrase = earlier
    if not phrase and figure.kind in ("change", "multiplier"):
        # "…, 18 percent more than in 2022": what the sentence's first clause measures.
        low = figure.sentence.start
        phrase, earlier = _subject_and_verb(text[low : figure.start])
        verb = verb or earlier
    inside = [m for m in mentions if low <= m.start < figure.start and m.text in phrase]
    actor = next((m.text if m.text.isupper() else short_name(m) for m in inside), "")
    if not actor and _proper(phrase):
        actor = phrase  # a name no party record has: "the EU" drafted alone
    measured = _without_subject(phrase, subject, inside)
    after = text[figure.end : clause[1]]
    candidates = _names(figure, measured, actor, _lemma(verb), after)
    if figure.kind == "share" and figure.base and _TOTAL.fullmatch(figure.base.strip()):
        # "Spanish exports accounted for 86% of the total": what holds the share is the name.
        holder = _HOLDER_EDGES.sub("", phrase)
        candidates.insert(0, f"share of {holder} in the total" if _has_content(holder, []) else "")
    for name in candidates:
        if name and acceptable(name):
            return _capital(name)[:NAME_MAX]
    if figure.kind == "count":
        return _capital(f"number of {_counted_phrase(figure, after)}")[:NAME_MAX]
    return _capital(f"{figure.kind} in {figure.unit}")


def subject_phrase(before: str) -> str:
    """The words of a clause before its verb that say what is measured (may be empty)."""
    return _subject_and_verb(before)[0]


def _proper(phrase: str) -> bool:
    """Whether a phrase is a proper name (capitalised words, not a pronoun: "It covers")."""
    words = phrase.split()
    return bool(words) and all(w[0].isupper() for w in words) and words[0].lower() not in _PRONOUNS


def _names(figure: Figure, measured: str, actor: str, lemma: str, after: str) -> list[str]:
    """Candidate names, best first."""
    names: list[str] = []
    money = lemma in _MONEY_NOUNS or lemma in _FINANCING
    if figure.kind == "amount" and money:
        purpose = _PURPOSE.search(after)
        noun = _MONEY_NOUNS.get(lemma, "financing")
        owner = actor or measured
        names.append(
            " ".join(p for p in (owner, purpose.group("what") if purpose else "", noun) if p)
        )
    if figure.kind == "share" and figure.base:
        holder = actor or measured
        base = _strip_owner(figure.base)
        names.append(f"{holder} share of {base}" if holder else f"share of {base}")
    if measured and not (money and figure.kind == "amount"):
        growth = {"multiplier": "Growth of", "change": "Change in"}.get(figure.kind)
        starts = measured.lower().startswith(("growth", "change", "increase", "rise", "fall"))
        names.append(f"{growth} {measured}" if growth and not starts else measured)
    if figure.kind == "count" and lemma and lemma not in _MODALS:
        participle = _participle(lemma)
        names.append(
            f"{actor}-{participle} {figure.unit}" if actor else f"{figure.unit} {participle}"
        )
    if figure.kind == "count":
        names.append(_counted_phrase(figure, after))
    names.append(figure.metric)
    return names


def _subject_and_verb(before: str) -> tuple[str, str]:
    """The words of a clause before its first verb (an attribution, leading date words and
    hedges dropped), and that verb (the main one after a modal: "will make" → "make")."""
    said = _SAID.search(before)
    before = before[said.end() if said else 0 :].lstrip(' “”"«»‘’')
    before = _TIME_LEAD.sub("", before)
    words = before.split()
    verb_at = None
    for index, word in enumerate(words):
        lower = word.strip(',.;:“”"').lower()
        following = words[index + 1].lower() if index + 1 < len(words) else ""
        noun = lower in _NOUN_TOO and (
            following in _PREPOSITIONS or _VERB.fullmatch(following.strip(",.;:")) is not None
        )  # "grain exports to the EU", "Spanish exports accounted for": a noun
        if _VERB.fullmatch(lower) and not noun:
            verb_at = index
            break
    if verb_at is None:
        return _trim(words), ""
    phrase = _trim(words[:verb_at])
    verb = words[verb_at].strip(",.;:").lower()
    rest = [w.strip(",.;:").lower() for w in words[verb_at + 1 :]]
    while verb in _MODALS and rest and rest[0] not in ("to",):
        if _VERB.fullmatch(rest[0]) or rest[0] in _FINANCING or rest[0].endswith("ed"):
            verb = rest.pop(0)
        elif rest[0] in _ADVERBS:
            rest.pop(0)
        else:
            break
    return phrase, verb


def _trim(words: list[str]) -> str:
    """What a clause's subject measures: without leading conjunctions, date words, articles,
    hedges and measure words ("the amount of", "the indicators of"), cut before a place or
    time ("… into the economy over three decades"), without trailing adverbs."""
    cleaned = [w.strip(',;:“”"') for w in words]
    while cleaned:
        first = cleaned[0].lower()
        if first in _LEAD | _DATE_WORDS | _CONJUNCTIONS or first.isdigit():
            cleaned.pop(0)
        elif first in _MEASURE_WORDS and len(cleaned) > 2 and cleaned[1].lower() == "of":
            del cleaned[:2]
        else:
            break
    cut = next((i for i, w in enumerate(cleaned) if i and w.lower() in _PLACE_OR_TIME), None)
    cleaned = cleaned[:cut]
    while cleaned and cleaned[-1].lower() in _ADVERBS | _LEAD | _PREPOSITIONS:
        cleaned.pop()
    return " ".join(cleaned)


def short_name(mention: Mention) -> str:
    """A party's shortest capitalised alias (an acronym), else its name."""
    party = mention.known if mention.known is not None else mention.new
    aliases = list(getattr(party, "aliases", ()))
    acronyms = [a for a in aliases if a.isupper() and len(a) <= 6]
    return acronyms[0] if acronyms else str(getattr(party, "name", mention.text))


def _without_subject(phrase: str, subject: Mention | None, inside: list[Mention]) -> str:
    """The phrase without the figure's subject ("Kazakh grain exports to the EU" → "grain
    exports to the EU"); empty when nothing but parties is left."""
    cut = phrase
    for mention in inside:
        if subject is not None and mention.slug is not None and mention.slug == subject.slug:
            name = re.escape(mention.text)
            # "trade between Kazakhstan and the EU" is the subject's trade with the EU.
            cut = re.sub(rf"\bbetween\s+{name}\s+and\b", "with", cut, count=1)
            cut = re.sub(rf"\b{name}(?:[’']s)?\s*", "", cut, count=1)
    cut = re.sub(r"\b[Tt]he country(?:[’']s)?\s*", "", cut)
    words = cut.split()
    while words and words[0].lower() in _LEAD:
        words.pop(0)
    cut = " ".join(words)
    return cut if _has_content(cut, inside) else ""


def _has_content(phrase: str, inside: list[Mention]) -> bool:
    """Whether a phrase has a content word that is not a party's name or adjective (of the
    parties named in it)."""
    parties = {fold(m.text) for m in inside}
    for word in phrase.split():
        folded = fold(word)
        if not folded or folded in parties or folded in DEMONYMS or word.isupper():
            continue
        if content_stems(word):
            return True
    return False


def acceptable(name: str) -> bool:
    """Whether a name says what is measured: a content word that is no party's name and not a
    verb form alone ("EU" and "reaching" are not names), and no part of a clause: no verb,
    pronoun or quotation mark ("He underlined that cargo traffic", "Growth of we intend")."""
    printed = name.split()
    if len(printed) > 1 and all(word[0].isupper() for word in printed):
        return False  # a proper name: "Caspian Development Bank" is a party, not a measure
    words = [word.strip(",.;:").lower() for word in printed]
    if any(w in _CLAUSE_WORDS or _VERB.fullmatch(w) or w in SPEECH_VERBS for w in words[:1]):
        return False
    if any(w in _PRONOUN_WORDS or w in SPEECH_VERBS for w in words) or re.search(r"[“”\"«»]", name):
        return False
    if any(_VERB.fullmatch(w) and w not in _NOUN_TOO for w in words):
        return False
    content = [
        word
        for word in re.findall(r"[^\W\d_]+", name)
        if content_stems(word)
        and fold(word) not in DEMONYMS
        and fold(word) not in _COUNTRIES
        and fold(word) not in _PARTY_WORDS
        and not word.isupper()
    ]
    return any(not w.lower().endswith(("ing", "ed")) or w.lower() in _GERUNDS for w in content)


def _lemma(verb: str) -> str:
    """A verb's base form, roughly: "invested" → "invest", "funds" → "fund"."""
    if not verb:
        return ""
    for ending, replacement in (("ies", "y"), ("ed", ""), ("es", ""), ("s", "")):
        if verb.endswith(ending) and len(verb) - len(ending) >= 3:
            base = verb[: -len(ending)] + replacement
            return base + "e" if base in _FINAL_E else base
    return verb


def _participle(lemma: str) -> str:
    """A verb's past participle, roughly: "fund" → "funded", "finance" → "financed"."""
    if lemma in _IRREGULAR:
        return _IRREGULAR[lemma]
    return lemma + "d" if lemma.endswith("e") else lemma + "ed"


def _strip_owner(base: str) -> str:
    """A share's base without its owner: "the country’s external trade" → "external trade"."""
    base = re.sub(r"^(?:the\s+)?(?:total\s+volume\s+of\s+)?", "", base)
    base = re.sub(r"^(?:[\w-]+\s+)?[\w-]+[’']s\s+", "", base)
    return base


def _counted_phrase(figure: Figure, after: str) -> str:
    """The thing counted and its complement: "companies with European capital"."""
    at = after.find(figure.unit)
    if at < 0:
        return figure.unit
    words = after[at + len(figure.unit) :].split()[:7]
    if not words or words[0].lower() not in ("with", "of", "for", "from"):
        return figure.unit
    cut = next(
        (
            i
            for i, w in enumerate(words)
            if i and (_VERB.fullmatch(w.lower()) or w.endswith("ing") or w in _PLACE_OR_TIME)
        ),
        len(words),
    )
    kept = words[:cut]
    while kept and kept[-1].lower() in _LEAD | _PREPOSITIONS | _CONJUNCTIONS:
        kept.pop()
    return " ".join([figure.unit, *kept])


def _capital(name: str) -> str:
    """A name as a record holds it: single spaces, no edge punctuation, a capital first."""
    name = " ".join(name.split()).strip(" ,.;:")
    return name[:1].upper() + name[1:]
