"""MkDocs loads hook files by path, outside the package; this one only forwards to kb.site."""
from kb.site import on_config, on_files, on_page_markdown, on_post_build  # noqa: F401
