"""The Django project: thin views over the engine, one app per concern."""
