"""The help-desk rules (customers, tickets, SLA, coupons), called by the bot and by tests alike."""
