"""Source plugins, one package per source. Each declares its raw tables, plans and parses."""
