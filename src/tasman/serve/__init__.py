"""serve: the web application, the JSON API and the public tip form, over the same library the CLI uses.

Importing this package is cheap (no FastAPI); ``tasman.serve.app.create_app`` builds the app.
"""
