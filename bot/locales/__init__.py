"""gettext catalogs: English source strings, Russian and English translations."""
