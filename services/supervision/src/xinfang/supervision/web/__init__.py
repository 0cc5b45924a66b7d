"""Server-rendered pages: the dashboard, the bulletin, sign-in. Chinese by default, `?lang=en`."""
