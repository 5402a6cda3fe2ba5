"""The docs site wing: `kb site build` (build), the MkDocs hooks that turn the library into pages (hooks, layout,
reference) and the browser's search (search_bundle, web/)."""
