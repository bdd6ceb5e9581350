"""Provider code → client class."""

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
