"""Open311 GeoReport v2 at `/open311/v2/`: 311 clients file and follow petitions.

Services are the public content categories; a request is a petition (same validation, detection
and events as any other); `expected_datetime` is the case's current legal deadline.
"""
