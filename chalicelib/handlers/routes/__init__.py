"""Route handlers: read the request, call one use case, shape the result."""
