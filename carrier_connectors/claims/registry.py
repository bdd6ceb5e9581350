"""Claims provider code -> client class. A new provider (a shipping insurer's API) is one module
with a ``ClaimsClient`` subclass decorated with ``@register``, imported in ``__init__.py``."""

from ..clients.api import ERROR_CONFIG, ApiError

PROVIDERS = {}


def register(cls):
    PROVIDERS[cls.provider] = cls
    return cls


def get_claims_client_class(provider):
    try:
        return PROVIDERS[provider]
    except KeyError:
        raise ApiError(ERROR_CONFIG, f"No claims client for provider {provider!r}") from None


def provider_selection():
    return [(code, cls.label) for code, cls in PROVIDERS.items()]
