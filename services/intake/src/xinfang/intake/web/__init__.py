"""Server-rendered pages: the clerk's registration form (works without JavaScript)."""
