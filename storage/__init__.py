"""Storage: the database schema, migrations, repositories and the FSM storage. Knows no Telegram."""
