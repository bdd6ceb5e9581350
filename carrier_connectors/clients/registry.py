"""Provider code → client class."""

import sys

from .base import ERROR_CONFIG, CarrierError

PROVIDERS = {}


def register(cls):
    PROVIDERS[cls.provider] = cls
    return cls


def get_client_class(provider):
    try:
        return PROVIDERS[provider]
    except KeyError:
        raise CarrierError(ERROR_CONFIG, f"No tracking client for provider {provider!r}") from None


def provider_selection():
    return [(code, cls.label) for code, cls in PROVIDERS.items()]


def get_webhook_handlers(provider):
    """(verify_webhook, parse_webhook) of a provider that pushes updates, or None."""
    cls = PROVIDERS.get(provider)
    module = cls and sys.modules[cls.__module__]
    verify = getattr(module, "verify_webhook", None)
    parse = getattr(module, "parse_webhook", None)
    return (verify, parse) if verify and parse else None
