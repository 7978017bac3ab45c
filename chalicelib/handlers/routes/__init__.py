"""Route modules: each holds a Routes blueprint and its handlers side by side. A handler reads
the request, calls one use case and shapes the result (handlers/present.py); app.py registers
every blueprint listed in BLUEPRINTS."""
