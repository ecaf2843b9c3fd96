"""Channel adapters: each turns platform updates into IncomingMessage and replies into API calls."""
