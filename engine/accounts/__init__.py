"""Staff accounts: users and groups, signing in, sessions and tokens, throttling, second factor."""
