"""Accounts as a package of their own: users, roles and what each may do (``roles``), case
membership, API tokens and browser sessions (``store``: the library both ``tasman user ...`` and
the web app call) and their tables (``models``). The web app signs people in over it.
"""
