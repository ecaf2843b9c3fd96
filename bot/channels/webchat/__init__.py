"""The local web chat: try the bot in a browser, no token needed."""
