"""The API client and its wire: settings, transport, retries, calls and flows, models, errors.

Nothing here knows LangChain: the surfaces (`tools.py`, `document_loaders.py`, ...) are built on it.
"""
