"""The web side: webhooks, the local web chat, the officers' console, health."""
