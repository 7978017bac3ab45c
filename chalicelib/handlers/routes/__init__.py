"""Route modules: each holds a Routes blueprint and its handlers side by side. A handler reads
the request, calls one use case and shapes the result (handlers/present.py). Use cases and
request schemas are imported inside the handlers that use them: every Lambda function imports
`app`, and so every route module, so these stay cheap to import (cold start)."""
