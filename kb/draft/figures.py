"""Figures: money, percentages, shares in words, multipliers and counts, with their hedges.

Each sentence is scanned by patterns in order of precedence (money, percentages, shares,
multipliers, counts, then amounts with no currency); a later pattern never takes text an
earlier one matched. Years, dates, ordinals, ages and durations are not figures: the count
pattern needs a counted noun that is not a unit of time, and skips years, day numbers, numbers
glued to letters (30th, COP27) and hyphenated compounds (140-year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.draft.dates import DateMention, Published, find_dates, resolve
from kb.draft.lexicon import (
    COUNT_PLURALS,
    CURRENCY_ALTERNATIVES,
    CURRENCY_CODES,
    CURRENCY_CUES,
    CURRENCY_NAMES,
    CURRENCY_SYMBOLS,
    FRACTIONS,
    MONEY_CONTEXT,
    MULTIPLIER_VERBS,
    NUMBER_WORDS,
    PHRASE_STOPS,
    QUALIFIERS,
    SCALES,
    TIME_UNITS,
    word_set,
)
from kb.draft.segment import Layout, Sentence
from kb.names import DEMONYMS, fold

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_WORDS = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUMBER = rf"(?:(?<![\w.,$€£¥]){_NUM}(?![\d])|\b(?:{_WORDS})\b)"
_SCALE_WORD = r"(?:thousand|million|billion|trillion|mln|bln|bn|mn|tn|trn)\b"
_SCALE = rf"(?:\s?{_SCALE_WORD}|(?:m|k|b)\b)"
_SYMBOLS = "|".join(re.escape(symbol) for symbol in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
_CODES = "|".join(sorted(CURRENCY_CODES))
_NAMES = "|".join(sorted(CURRENCY_NAMES, key=len, reverse=True))

_MONEY_BEFORE = re.compile(
    rf"(?P<cur>{_SYMBOLS}|\b(?:{_CODES})\s)(?P<num>{_NUM})(?![\d])(?P<scale>{_SCALE})?"
)
_MONEY_AFTER = re.compile(
    rf"(?P<num>{_NUMBER})(?P<scale>\s{_SCALE_WORD})?\s(?P<cur>(?i:{_NAMES})\b|(?:{_CODES})\b)"
)
_PERCENT = re.compile(
    rf"(?P<num>{_NUMBER})\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b|pct\b)"
)
_FRACTION = re.compile(
    r"\b(?:(?P<fnum>one|a|two|three|four|five|six|seven|eight|nine)[\s-])?"
    r"(?P<fden>half|halves|thirds?|quarters?|fifths?|sixth|tenths?)\b(?!-)"
    r"(?!\s+of\s+an?\s+(?:century|hour|year|decade|mile|day|week|month|second|minute)\b)"
    r"(?=\s+(?:of|more|less|fewer|than|or|and|in|on|at|since|by|from|to|compared|them"
    r"|larger|smaller|higher|lower|bigger|greater|cheaper|faster|longer|shorter)\b"
    r"|\s*[,.;:)]|\s*$)",
    re.IGNORECASE,
)
_FOLD = re.compile(
    rf"(?:(?P<num>(?<![\w.,]){_NUM})[\s-]?|\b(?P<word>{_WORDS})-?)fold\b", re.IGNORECASE
)
_TIMES = re.compile(
    rf"(?P<num>{_NUMBER}|\btwice)(?:\s+times)?(?=\s+(?:more|as|less|fewer"
    r"|(?!(?:over|after|under|ever|never|later|together|other|either|whether|rather|per)\b)"
    r"[a-z]+er|the (?:size|level|amount|number|volume|rate|value|average|capacity|figure|price"
    r"|cost|total))\b)",
    re.IGNORECASE,
)
_MULTIPLY = re.compile(
    r"\b(?:doubled|doubling|doubles|tripled|tripling|triples|trebled|quadrupled|quadrupling"
    r"|halved|halving)\b",
    re.IGNORECASE,
)
# "double" and "triple" are verbs (hence multipliers) after "to", "will" and the like.
_MULTIPLY_VERB = re.compile(
    r"\b(?:to|will|would|could|can|may|might|should|must|almost|nearly|roughly|about"
    r"|around|than)\s+(?P<verb>double|triple|halve)\b",
    re.IGNORECASE,
)
_COUNT = re.compile(rf"(?P<num>{_NUMBER})(?P<scale>\s{_SCALE_WORD})?(?![\w-])")
_RISE_TO = re.compile(
    r"\b(?P<np>(?:[a-z][\w-]* )?[a-z][\w-]*) (?:rose|grew|fell|increased|decreased|jumped|climbed"
    r"|dropped|declined)\b[^.;:]*?\bto\s+$|\b(?P<np2>(?:[a-z][\w-]* )?[a-z][\w-]*) reached\s+$"
    r"|\bnumber of (?P<np3>(?:[a-z][\w-]* )?[a-z][\w-]*)\b[^.;:]*?\b(?:to|reached)\s+$"
)
# Words between a number and its noun: "400 more staff", "187 of the 300 votes".
_COUNT_SKIP = re.compile(
    rf"(?:\s+(?:more|fewer|additional|extra|other)|\s+of\s+(?:the|its|their)\s+{_NUM})(?=\s)"
)
_NOUN = re.compile(r"[^\W\d_][\w’'-]*")
# Currency names that are also English words count only with a scale (1.2 billion rand).
_AMBIGUOUS_NAMES = word_set("real won sum som lei rand dram lari lev")
_MONEY_WORDS = re.compile(rf"\b(?:{MONEY_CONTEXT})", re.IGNORECASE)
_QUALIFIER = re.compile(
    r"\b(?P<q>"
    + "|".join(re.escape(words) for words, _ in QUALIFIERS)
    + r")\s+(?:(?:a|an|the)\s+)?$",
    re.IGNORECASE,
)
# Per currency code, the words that point to it (see CURRENCY_CUES), as one pattern.
_CUES = {
    code: re.compile(r"\b(?:" + "|".join(re.escape(cue) for cue in cues.split(", ")) + r")\b")
    for code, cues in CURRENCY_CUES.items()
}
_QUALIFIER_OF = {words: qualifier for words, qualifier in QUALIFIERS}
# The word before a percentage or fraction that makes it a change ("rose 5 percent").
_CHANGE_WORDS = word_set(
    "rose rise risen rising rises increase increased increases increasing grew grow grown "
    "growth jump jumped jumps climb climbed climbs fell fall fallen falls drop dropped drops "
    "decline declined cut raise raised reduce reduced up down gain gained lost surge surged "
    "slump slumped by"
)
_PHRASAL = word_set("made make makes making took take takes taking set sets")
_CHANGE_OF = re.compile(r"\b(?:increase|decrease|rise|fall|drop|growth|reduction|gain) of$")
_CHANGE_AFTER = re.compile(
    r"\s+(?:more|less|higher|lower|above|below|up|down|fewer|increase|rise|drop|decrease"
    r"|growth|cheaper|dearer|larger|smaller|bigger|greater|raise|hike|cut|jump|gain|fall"
    r"|decline|reduction|pay rise)\b",
    re.IGNORECASE,
)
_NOT_BEFORE_COUNT = word_set(
    "article section chapter no number flight route highway room terminal gate platform boeing "
    "airbus cop resolution paragraph item point level phase stage grade class model version page "
    "vol aged age"
)
_ADJECTIVES = word_set(
    "different new more other additional separate various major small large big local foreign "
    "international domestic key main total further extra existing active registered former "
    "current potential private public national regional"
)
_MONTH_WORDS = word_set(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_YEAR_PREPOSITIONS = word_set("in since by from until till of and to between during than")
_CLAUSE_BREAK = re.compile(
    r"[,;:–—]|\b(?:while|whereas|but|if|when|because|unless|although|though)\b"
    r"|\bas\b(?! (?:of|much|many|well|part)\b)(?<!such as)"
)
_SUBJECT_END = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|could|can|may|might|should|must|reached"
    r"|rose|grew|fell|totall?ed|exceeded|accounts?|accounted|amounted|stood|increased"
    r"|decreased|invested|earned|lent|spent|costs?|went|covered|made|approved|raised|cut"
    r"|traded|carried|employs|use|uses|lose|lost|expects?|issued|returned|led)\b",
)
_NOW = re.compile(r"\b(?:now|currently|today|at present|so far|as of now)\b", re.IGNORECASE)
_PRESENT = re.compile(
    r"\b(?:is|are|accounts? for|makes? up|operates?|operating|funds|holds?|has|have|employs?"
    r"|covers?|remains?)\b"
)
_MONEY_VERBS = word_set("invested earned lent spent cost costs traded raised issued")
_PRONOUN_SUBJECTS = word_set("it they we he she this that there these those i you")
_METRIC_WORDS = 10


@dataclass
class Figure:
    """A figure found in a sentence, with everything the figure record needs."""

    start: int
    end: int
    kind: str
    value: float
    unit: str
    qualifier: str
    sentence: Sentence
    metric: str = ""
    base: str | None = None
    period_start: tuple[str, bool] | None = None
    period_end: tuple[str, bool] | None = None
    # A level at a date ("to date", "now accounts for", "a decade ago"), instead of a period.
    as_of: tuple[str, bool] | None = None


def find_figures(layout: Layout, published: Published | None) -> list[Figure]:
    """Every figure in the body, in text order."""
    text = layout.text
    currency_hints = _currency_hints(text)
    figures: list[Figure] = []
    for sentence in layout.sentences:
        found = _scan(text, sentence, currency_hints)
        found = _merge_restatements(text, found)
        dates = find_dates(text, sentence.start, sentence.end)
        for figure in found:
            figure.qualifier = figure.qualifier or _qualifier(text, sentence, figure.start)
            _describe(text, figure)
            _period(text, figure, found, dates, published)
        figures.extend(found)
    return figures


def _currency_hints(text: str) -> dict[str, str]:
    """For currency names several countries use: the code the article's words point to."""
    lowered = text.lower()
    hints = {}
    for default, alternatives in CURRENCY_ALTERNATIVES.items():
        for code in alternatives:
            cue = _CUES.get(code)
            if cue is not None and cue.search(lowered):
                hints[default] = code
                break
    return hints


def _scan(text: str, sentence: Sentence, hints: dict[str, str]) -> list[Figure]:
    """The figures of one sentence, by the patterns in order of precedence."""
    taken: list[tuple[int, int]] = []
    figures: list[Figure] = []
    for finder in (_money, _percentages, _fractions, _multipliers, _counts, _bare_amounts):
        for figure in finder(text, sentence, hints):
            if all(figure.end <= start or figure.start >= end for start, end in taken):
                taken.append((figure.start, figure.end))
                figures.append(figure)
    figures.sort(key=lambda figure: figure.start)
    return figures


def _number(text: str) -> float:
    """The value of a number written in digits (with thousands commas) or in words."""
    lowered = text.lower()
    if lowered in NUMBER_WORDS:
        return float(NUMBER_WORDS[lowered])
    return float(text.replace(",", ""))


def _scaled(number: str, scale: str | None) -> float:
    """A number times its scale word (160 billion → 1.6e11)."""
    value = _number(number)
    if scale:
        value *= SCALES[scale.strip().lower()]
    return value


def _money(text: str, sentence: Sentence, hints: dict[str, str]) -> list[Figure]:
    """Amounts with a currency: US$160 billion, €12 million, CHF 75 million, 46 million leva."""
    figures = []
    for match in _MONEY_BEFORE.finditer(text, sentence.start, sentence.end):
        symbol = match.group("cur").strip()
        code = CURRENCY_SYMBOLS.get(symbol, symbol)
        value = _scaled(match.group("num"), match.group("scale"))
        figures.append(_figure(match, "amount", value, hints.get(code, code), sentence))
    for match in _MONEY_AFTER.finditer(text, sentence.start, sentence.end):
        name = match.group("cur")
        if name.lower() in _AMBIGUOUS_NAMES and not match.group("scale"):
            continue  # "5 real problems", "2019 won": these currency names need a scale word
        code = CURRENCY_NAMES.get(name.lower(), name)
        value = _scaled(match.group("num"), match.group("scale"))
        if value >= 1:
            figures.append(_figure(match, "amount", value, hints.get(code, code), sentence))
    return figures


def _figure(match: re.Match[str], kind: str, value: float, unit: str, sentence: Sentence) -> Figure:
    """A Figure spanning a whole match."""
    return Figure(match.start(), match.end(), kind, value, unit, "", sentence)


def _percentages(text: str, sentence: Sentence, hints: dict[str, str]) -> list[Figure]:
    """50 percent, 9.5 per cent, 12%: a share, or a change when the words say it moved."""
    figures = []
    for match in _PERCENT.finditer(text, sentence.start, sentence.end):
        value = _number(match.group("num"))
        points = match.group("pct").startswith("percentage")
        kind = "change" if points or _is_change(text, sentence, match) else "share"
        unit = "percentage points" if points else "percent"
        figures.append(_figure(match, kind, value, unit, sentence))
    return figures


def _is_change(text: str, sentence: Sentence, match: re.Match[str]) -> bool:
    """Whether a percentage or fraction says how much something grew or shrank."""
    before = text[sentence.start : match.start()]
    hedge = _QUALIFIER.search(before)
    if hedge is not None:
        before = before[: hedge.start()]
    words = [word.strip(",;:").lower() for word in before.split()[-2:]]
    if _CHANGE_OF.search(" ".join(words)):
        return True
    last = words[-1] if words else ""
    if last in ("up", "down") and len(words) > 1 and words[0] in _PHRASAL:
        return False  # "made up two thirds": a share
    if last in _CHANGE_WORDS:
        return True
    if last in ("from", "to", "of", "at"):
        return False
    return bool(_CHANGE_AFTER.match(text, match.end(), sentence.end))


def _fractions(text: str, sentence: Sentence, hints: dict[str, str]) -> list[Figure]:
    """Shares in words: one third, a half, two thirds, a quarter (bare "half" after a hedge)."""
    figures = []
    for match in _FRACTION.finditer(text, sentence.start, sentence.end):
        denominator = FRACTIONS[match.group("fden").lower()]
        numerator_word = (match.group("fnum") or "").lower()
        if not numerator_word:
            # A bare "half" is a figure after a hedge or before "of" ("nearly half of them").
            hedged = _QUALIFIER.search(text, sentence.start, match.start()) is not None
            of_follows = text[match.end() : sentence.end].lstrip().startswith("of ")
            by_half = text[max(sentence.start, match.start() - 3) : match.start()] == "by "
            if denominator != 2 or not (hedged or of_follows or by_half):
                continue
            numerator = 1
        else:
            numerator = 1 if numerator_word in ("a", "one") else NUMBER_WORDS[numerator_word]
        preceding = text[max(sentence.start, match.start() - 12) : match.start()].lower()
        if re.search(r"\b(?:the|first|second|last|this|next)\s+$", preceding):
            continue
        value = round(numerator / denominator * 100, 4)
        kind = "change" if _is_change(text, sentence, match) else "share"
        figures.append(_figure(match, kind, value, "percent", sentence))
    return figures


def _multipliers(text: str, sentence: Sentence, hints: dict[str, str]) -> list[Figure]:
    """180-fold, threefold, three times more, twice as, doubled, halved."""
    figures = []
    for match in _FOLD.finditer(text, sentence.start, sentence.end):
        value = _number(match.group("num") or match.group("word"))
        figures.append(_figure(match, "multiplier", value, "times", sentence))
    for match in _TIMES.finditer(text, sentence.start, sentence.end):
        number = match.group("num")
        value = 2.0 if number.lower() == "twice" else _number(number)
        if number.lower() != "twice" and "times" not in match.group():
            continue
        figures.append(_figure(match, "multiplier", value, "times", sentence))
    for match in _MULTIPLY.finditer(text, sentence.start, sentence.end):
        value = MULTIPLIER_VERBS[match.group().lower()]
        figures.append(_figure(match, "multiplier", value, "times", sentence))
    for match in _MULTIPLY_VERB.finditer(text, sentence.start, sentence.end):
        value = MULTIPLIER_VERBS[match.group("verb").lower()]
        start, end = match.span("verb")
        figures.append(Figure(start, end, "multiplier", value, "times", "", sentence))
    return figures


def _counts(text: str, sentence: Sentence, hints: dict[str, str]) -> list[Figure]:
    """Counts of things: 3,000 companies, 29 different areas, two million homes."""
    figures = []
    for match in _COUNT.finditer(text, sentence.start, sentence.end):
        number, scale = match.group("num"), match.group("scale")
        if number.lower() in NUMBER_WORDS and not scale:
            continue  # "three countries": small counts in words are not figures
        if _not_a_count(text, sentence, match):
            continue
        unit = _counted(text, match.end(), sentence.end) or _counted_before(text, sentence, match)
        if unit is None:
            continue
        figure = _figure(match, "count", _scaled(number, scale), unit, sentence)
        figures.append(figure)
    return figures


def _not_a_count(text: str, sentence: Sentence, match: re.Match[str]) -> bool:
    """Years, day numbers, ages, and numbers that label rather than count."""
    number = match.group("num")
    before = text[sentence.start : match.start()].split()
    previous = before[-1].lower().strip(".,") if before else ""
    after = text[match.end() : sentence.end].split()
    following = after[0].lower().strip(".,") if after else ""
    if previous in _NOT_BEFORE_COUNT or previous in _MONTH_WORDS or following in _MONTH_WORDS:
        return True
    if previous == "of" and len(before) > 1 and before[-2].lower() == "age":
        return True
    is_year = re.fullmatch(r"(?:1[89]|20)\d\d", number) is not None
    return is_year and previous in _YEAR_PREPOSITIONS


def _counted(text: str, start: int, end: int) -> str | None:
    """The counted noun after a number ("different areas" → "areas"), or None if there is none.

    The phrase runs over at most four words up to the first plural noun; leading adjectives
    are dropped. Units of time make the number a duration, not a count.
    """
    words: list[str] = []
    position = start
    skipped = _COUNT_SKIP.match(text, start, end)
    if skipped is not None:
        position = skipped.end()
    for match in _NOUN.finditer(text, position, end):
        gap = text[position : match.start()]
        if gap not in (" ", "\u00a0") or len(words) == 4:
            break
        word = match.group()
        lower = word.lower()
        if lower in PHRASE_STOPS or (word[0].isupper() and fold(word) not in DEMONYMS):
            break  # a name ends the phrase; an adjective of a country does not (15 Dutch firms)
        words.append(word)
        position = match.end()
        if _plural(lower):
            if lower in TIME_UNITS:
                return None
            while len(words) > 1 and words[0].lower() in _ADJECTIVES:
                words.pop(0)
            return " ".join(words)
    return None


def _counted_before(text: str, sentence: Sentence, match: re.Match[str]) -> str | None:
    """The counted noun of "rooftop systems rose sixfold, to over 85,000": the subject of a
    verb of change, when the number is what it rose (or fell) to."""
    before = text[sentence.start : match.start()]
    hedge = _QUALIFIER.search(before)
    if hedge is not None:
        before = before[: hedge.start()]
    found = _RISE_TO.search(before)
    if found is None:
        return None
    phrase = found.group("np") or found.group("np2") or found.group("np3")
    words = [w for w in phrase.split() if w.lower() not in PHRASE_STOPS]
    return " ".join(words) if words and _plural(words[-1].lower()) else None


def _plural(word: str) -> bool:
    """Whether a word looks like a plural noun."""
    if word in COUNT_PLURALS or word.endswith("ae"):
        return True
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "ous"))


def _bare_amounts(text: str, sentence: Sentence, hints: dict[str, str]) -> list[Figure]:
    """800 million with no currency and no counted noun, in a sentence about money."""
    if not _MONEY_WORDS.search(text, sentence.start, sentence.end):
        return []
    figures = []
    for match in _COUNT.finditer(text, sentence.start, sentence.end):
        number, scale = match.group("num"), match.group("scale")
        if not scale or _counted(text, match.end(), sentence.end) is not None:
            continue
        figures.append(_figure(match, "amount", _scaled(number, scale), "unknown", sentence))
    return figures


def _merge_restatements(text: str, figures: list[Figure]) -> list[Figure]:
    """One figure stated twice ("a half, or 50 percent") is kept once, with both in its surface."""
    merged: list[Figure] = []
    for figure in figures:
        if merged:
            last = merged[-1]
            joint = text[last.end : figure.start]
            same = last.unit == figure.unit and abs(last.value - figure.value) < 0.01
            if same and re.fullmatch(r",?\s+or\s+(?:about\s+|some\s+)?", joint):
                last.end = figure.end
                continue
        merged.append(figure)
    return merged


def _qualifier(text: str, sentence: Sentence, start: int) -> str:
    """The hedge just before a figure (about, almost, more than, up to…), or exact."""
    found = _QUALIFIER.search(text, max(sentence.start, start - 30), start)
    if found is None:
        return "exact"
    return _QUALIFIER_OF[found.group("q").lower()]


def _describe(text: str, figure: Figure) -> None:
    """The figure's metric (what it measures) and, for a share, its base ("of …")."""
    sentence = figure.sentence
    after = _phrase_after(text, figure.end, sentence.end)
    if figure.kind == "count":
        complement = re.search(
            rf"\b{re.escape(figure.unit.split()[-1])}\s+((?:of|with|for|from)\s.*)", after
        )
        tail = complement.group(1) if complement else ""
        tail = re.split(r"\s+(?:as|while|which|that|who|and|but|in \d)\b", tail)[0]
        figure.metric = _trim_words(f"{figure.unit} {tail}".strip()) or figure.unit
        return
    if figure.kind == "share":
        of = re.match(r",?\s*of\s+([^,.;:!?“”\"«»()]+)", text[figure.end : sentence.end])
        if of is not None:
            figure.base = _trim_words(" ".join(of.group(1).split()))
            figure.metric = f"share of {figure.base}"
            return
    figure.metric = (
        _subject(text, sentence, figure.start)
        or _trim_words(after)
        or _clause_before(text, sentence, figure.start)
        or "figure"
    )


def _phrase_after(text: str, start: int, end: int) -> str:
    """The words after a figure up to the next punctuation mark."""
    tail = text[start:end]
    cut = re.search(r"[,.;:!?“”\"«»()]", tail)
    return " ".join(tail[: cut.start() if cut else len(tail)].split())


def _subject(text: str, sentence: Sentence, start: int) -> str:
    """The subject of the clause holding the figure: its words before the first verb."""
    clause_start = sentence.start
    for match in _CLAUSE_BREAK.finditer(text, sentence.start, start):
        clause_start = match.end()
    clause = " ".join(text[clause_start:start].split()).strip("“”\"‘’' ")
    verb = _SUBJECT_END.search(clause)
    subject = clause[: verb.start()] if verb else ""
    subject = re.sub(r"^(?:the|a|an)\s+", "", subject.strip(), flags=re.IGNORECASE)
    if not subject or subject.lower() in _PRONOUN_SUBJECTS:
        return ""
    if verb is not None and verb.group() in _MONEY_VERBS:
        # "the EU states invested": the verb says what the amount is.
        return f"{_trim_words(subject)} {verb.group()}"
    return _trim_words(subject)


def _clause_before(text: str, sentence: Sentence, start: int) -> str:
    """The words of the figure's clause before it ("ExxonMobil" in "…, ExxonMobil 25%")."""
    clause_start = sentence.start
    for match in _CLAUSE_BREAK.finditer(text, sentence.start, start):
        clause_start = match.end()
    words = [w for w in text[clause_start:start].split() if w.lower() not in PHRASE_STOPS]
    return " ".join(words[-_METRIC_WORDS:]).strip("“”\"‘’'")


def _trim_words(phrase: str) -> str:
    """At most a few words, without trailing little words."""
    words = phrase.split()[:_METRIC_WORDS]
    while words and words[-1].lower() in PHRASE_STOPS:
        words.pop()
    return " ".join(words)


def _period(
    text: str,
    figure: Figure,
    figures: list[Figure],
    dates: list[DateMention],
    published: Published | None,
) -> None:
    """The period a figure covers, from a date in its clause (or opening its sentence)."""
    sentence = figure.sentence
    own = [date for date in dates if _same_clause(text, figure, figures, date)]
    if not own:
        own = [date for date in dates if _opens_sentence(text, sentence, date)]
    # A comparison ("than in 2019") or a day of the week dates no period.
    own = [
        date
        for date in own
        if not date.preposition.startswith("than")
        and (date.relative is None or date.relative[0] not in ("weekday", "day"))
    ]
    if not own:
        if published is not None and _level(text, figure):
            figure.as_of = (published.value, True)
        return
    if len(own) >= 2 and own[0].preposition in ("between", "from"):
        figure.period_start = resolve(own[0], published, None)
        figure.period_end = resolve(own[1], published, None)
        return
    date = min(own, key=lambda d: min(abs(d.start - figure.end), abs(figure.start - d.end)))
    point = resolve(date, published, None)
    if date.relative is not None and date.relative[0] == "ago":
        figure.as_of = point  # "down from 40 percent a decade ago": the level then
        return
    if date.preposition == "since":
        figure.period_start = point
    elif date.preposition in ("by", "until", "till", "through", "as of"):
        figure.period_end = point
    elif date.preposition not in ("after", "before"):
        figure.period_start = figure.period_end = point


def _level(text: str, figure: Figure) -> bool:
    """Whether an undated figure is a level at publication: "to date", "now", "currently", or
    a count or share stated in the present tense ("there are 3,000 companies", "accounts for
    one third", "funds 48 projects")."""
    sentence = figure.sentence
    if re.search(r"\bto date\b", text[sentence.start : figure.end]):
        return True
    start, end = sentence.start, sentence.end
    for match in _CLAUSE_BREAK.finditer(text, sentence.start, sentence.end):
        if match.end() <= figure.start:
            start = match.end()
        elif match.start() >= figure.end:
            end = match.start()
            break
    clause = text[start:end]
    if _NOW.search(clause):
        return True
    return figure.kind in ("count", "share") and _PRESENT.search(clause) is not None


def _same_clause(text: str, figure: Figure, figures: list[Figure], date: DateMention) -> bool:
    """Whether a date is in the figure's clause, with no other figure between them."""
    low, high = (figure.end, date.start) if date.start >= figure.end else (date.end, figure.start)
    if low > high:
        return False
    if _CLAUSE_BREAK.search(text, low, high):
        return False
    return not any(low <= other.start < high for other in figures if other is not figure)


def _opens_sentence(text: str, sentence: Sentence, date: DateMention) -> bool:
    """Whether a date opens its sentence as an adverbial ("Last year alone, …")."""
    lead = text[sentence.start : date.start]
    return len(lead.split()) <= 1 and bool(re.match(r"[^,]*,", text[date.end : sentence.end]))
