import typer

app = typer.Typer(
    name="corpus-builder",
    help="Build versioned, annotated NER corpus releases from raw news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
