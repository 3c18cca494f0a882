"""`kb draft`: draft grounded records from a news article, linked into the knowledge base."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.common import examples


@click.command(
    epilog=examples(
        "kb draft seeds/jjtv-2023-02-02-kazakhstan-eu-30-years.txt --published 2023-02-02",
        "kb draft my_texts/jjtv-2023-02-02-kazakhstan-eu-30-years.txt --source-slug jjtv-kz-eu",
        "kb draft my_texts/jjtv-2023-02-02-kazakhstan-eu-30-years.txt --db my.sqlite3 "
        "--data my_data --source-slug jjtv-kz-eu",
        "kb draft seeds/jjtv-2023-02-02-kazakhstan-eu-30-years.txt --no-db --format json",
    )
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--source-slug",
    metavar="SLUG",
    help="Slug of the article's source record.  [default: from the file name]",
)
@click.option(
    "--published",
    metavar="DATE",
    help="Publication date (YYYY, YYYY-MM or YYYY-MM-DD); relative dates such as "
    "'last year' are resolved against it, and left out without it.",
)
@click.option(
    "--db",
    metavar="PATH_OR_URL",
    envvar="KB_DATABASE_URL",
    show_envvar=True,
    help="Database to link the draft into (only read).  [default: ./kb.sqlite3 when it exists]",
)
@click.option(
    "--data",
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Data files whose records count as known too, loaded or not.  [default: the "
    "seeds_data/ beside the article's seeds/ directory, if the article is in one]",
)
@click.option(
    "--no-db",
    "alone",
    is_flag=True,
    help="Draft alone: link to no database (nor data files, unless --data is given).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("yaml", "json")),
    default="yaml",
    show_default=True,
    help="yaml: a data file to review and load; json: records, offsets, notes and links.",
)
def draft(
    path: Path,
    source_slug: str | None,
    published: str | None,
    db: str | None,
    data: Path | None,
    alone: bool,
    fmt: str,
) -> None:
    """Draft people, quotes, figures and events from a plain-text article.

    Prints records in the data format, each grounded in the text (offsets as comments) and
    marked `status: draft`, linked into the knowledge base: known people, parties, metrics
    and events are referred to by slug (with a comment saying why), and only what the base
    lacks is defined. Save the YAML in the data directory (kb draft seeds/a.txt >
    seeds_data/a.yaml), review it (correct, set `status: reviewed`, or delete), then `kb load`
    it: the article must be in the seeds directory.
    """
    from kb.draft import draft as draft_article
    from kb.draft import knowledge_base, read_article, to_json, to_yaml

    article = read_article(path, source_slug=source_slug, published=published)
    with knowledge_base(path, db=db, data=data, alone=alone) as known:
        drafted = draft_article(article, known)
    click.echo(to_json(drafted) if fmt == "json" else to_yaml(drafted), nl=False)
