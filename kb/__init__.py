"""kb: a knowledge base of facts from news documents, each grounded in its source text."""

__version__ = "0.1.0"
