"""The Frontdesk application: configuration, the command line, and the parts put together."""
