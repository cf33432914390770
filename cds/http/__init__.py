"""The HTTP face of the service: routes, wire models, CORS."""
