"""The officers' web console, mounted at /console: server-rendered pages, plain forms, no front-end build."""
