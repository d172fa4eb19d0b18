"""Who may do what: tokens, roles and scopes, client addresses, rate limits and redaction."""
