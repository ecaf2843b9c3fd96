"""Everything that touches the outside: channel adapters, the web app, the worker,
configuration and the `canhgiac` command. Nothing else imports it.
"""
