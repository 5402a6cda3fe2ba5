"""MkDocs' entry point into kb's site (mkdocs.yml loads this file by path, outside the package).

Like kb/cli/ it is an entry point, not library: it is the one module besides the CLI that imports kb.cli, to
document the commands it defines.
"""

from kb.site import hooks
from kb.site.hooks import on_config, on_page_markdown, on_post_build  # noqa: F401  (mkdocs looks them up here)


def on_files(files, config):
    import typer.main

    from kb.cli import app
    from kb.site.reference import cli_reference

    return hooks.on_files(files, config, cli_reference=cli_reference(typer.main.get_command(app)))
