"""What the annotated page looks like: what each kind of mark is called, its type marker and
colour, the legend, and the page's CSS (kb.annotate.render writes the marks these style)."""

from __future__ import annotations

import html

# What each kind of mark is called, in titles and in the side list.
NAMES = {
    "quote": "Quote",
    "figure-surface": "Figure",
    "figure-evidence": "Evidence of a figure",
    "event": "Event",
    "role": "Role",
}
# The type marker each kind shows before its mark (CSS generated content: see CSS).
TAGS = {
    "quote": "Q",
    "figure-surface": "F",
    "figure-evidence": "F·ev",
    "event": "E",
    "role": "R",
}
COLOURS = {
    "quote": "#1f5fbf",
    "figure-surface": "#a34f00",
    "figure-evidence": "#a34f00",
    "event": "#2e7d32",
    "role": "#7b3fa0",
}
TAG_RULES = "\n".join(
    f'.kb-text a.kb-tag-{kind}::before {{ content: "{tag}"; }}\n'
    f".kb-text a.kb-tag-{kind}, .kb-legend .kb-key-{kind}, .kb-facts .kb-{kind} .kb-type "
    f"{{ color: {COLOURS[kind]}; }}"
    for kind, tag in TAGS.items()
)
CSS = f"""\
.kb-annotation {{ font: 16px/1.5 Georgia, "Times New Roman", serif; color: #1b1b1b;
  max-width: 52rem; }}
.kb-annotation .kb-coverage {{ font: bold 15px/1.4 system-ui, sans-serif; }}
.kb-annotation .kb-coverage.kb-left {{ color: #b71c1c; }}
.kb-annotation .kb-summary, .kb-annotation .kb-legend, .kb-annotation .kb-facts {{
  font: 13px/1.5 system-ui, sans-serif; }}
.kb-annotation .kb-legend {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap;
  gap: .3rem 1.2rem; }}
.kb-legend .kb-key {{ font-weight: bold; border: 1px solid; border-radius: 2px;
  padding: 0 3px; font-size: 11px; }}
.kb-legend .kb-key-draft {{ border-style: dashed; }}
.kb-text {{ white-space: pre-wrap; overflow-wrap: break-word; line-height: 2.3;
  border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; padding: .8rem 0; }}
.kb-text mark.kb-mark {{ color: inherit; background: none; }}
.kb-text mark.kb-quote {{ background: rgba(31, 95, 191, .07); border-bottom: 3px double #1f5fbf;
  padding-bottom: 6px; }}
.kb-text mark.kb-event {{ border-bottom: 2px solid #2e7d32; padding-bottom: 3px; }}
.kb-text mark.kb-role {{ border-bottom: 2px dotted #7b3fa0; padding-bottom: 3px; }}
.kb-text mark.kb-figure-evidence {{ text-decoration: underline dotted #a34f00;
  text-underline-offset: 3px; }}
.kb-text mark.kb-figure-surface {{ background: rgba(163, 79, 0, .10); border: 1px solid #a34f00;
  border-radius: 3px; font-weight: bold; padding: 0 1px; }}
.kb-text mark.kb-mark.kb-draft {{ outline: 1px dashed #555; outline-offset: 1px;
  background-image: repeating-linear-gradient(135deg, transparent 0 5px,
  rgba(0, 0, 0, .08) 5px 7px); }}
.kb-text mark.kb-mark:target {{ outline: 2px solid #000; }}
.kb-text a.kb-tag, .kb-text a.kb-conflict {{ font: bold 10px/1 system-ui, sans-serif;
  vertical-align: super; text-decoration: none; border: 1px solid; border-radius: 2px;
  padding: 0 2px; margin: 0 1px; background: #fff; }}
.kb-text a.kb-tag.kb-draft {{ border-style: dashed; }}
.kb-text a.kb-tag.kb-draft::after {{ content: "?"; }}
.kb-text a.kb-conflict {{ color: #b71c1c; }}
.kb-text a.kb-conflict::before {{ content: "≠"; }}
{TAG_RULES}
.kb-text .kb-uncovered {{ text-decoration: underline wavy #c62828; text-underline-offset: 4px;
  text-decoration-skip-ink: none; }}
.kb-text .kb-uncovered::before {{ content: "?"; font: bold 10px/1 system-ui, sans-serif;
  vertical-align: super; color: #fff; background: #c62828; border-radius: 2px;
  padding: 0 2px; margin-right: 1px; }}
.kb-facts li {{ margin: .15rem 0; }}
.kb-facts .kb-type {{ font-weight: bold; }}
.kb-facts .kb-where {{ color: #666; }}
.kb-facts .kb-status {{ border: 1px dashed #555; border-radius: 2px; padding: 0 3px; }}
.kb-facts .kb-conflicts {{ color: #b71c1c; }}
"""


# The legend above the text: each type marker with what it marks.
LEGEND = (
    '<ul class="kb-legend">'
    + "".join(
        f'<li><span class="kb-key kb-key-{kind}">{html.escape(TAGS[kind])}</span> '
        f"{html.escape(NAMES[kind].lower())}</li>"
        for kind in ("quote", "figure-surface", "figure-evidence", "event", "role")
    )
    + '<li><span class="kb-key kb-key-draft">?</span> draft, not yet reviewed (dashed)</li>'
    + '<li><span class="kb-key">≠</span> figures that disagree</li>'
    + "</ul>"
)
